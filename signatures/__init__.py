"""Signatures: verifying QES on PDFs and CMS with pyHanko, trusted lists, sealing (DESIGN.md §4)."""
