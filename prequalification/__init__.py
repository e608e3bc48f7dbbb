"""Pre-qualification: supplier profiles, evidence, applications, certificates, the register."""
