"""Deputies' suggestions (代表建议): drafts for now, to be filed and handled by a later issue."""
