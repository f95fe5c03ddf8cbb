"""Excel import of persons with their mandates into an office's register."""
