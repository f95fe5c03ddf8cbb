"""Templates, static files and the shell pages of the staff UI."""
