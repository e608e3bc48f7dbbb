"""The job outbox, the actor runtime and the broker set-up (DESIGN.md §5)."""
