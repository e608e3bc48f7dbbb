"""Identity: organisations, users, memberships, roles, logins, sessions and API tokens."""
