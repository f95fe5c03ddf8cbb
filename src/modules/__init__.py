"""Domain modules, one folder each, with the anatomy of DESIGN.md."""
