"""Platform users, memberships in offices, sign-in sessions and API tokens."""
