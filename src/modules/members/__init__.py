"""An office's members: invitations, memberships and the office's integration tokens."""
