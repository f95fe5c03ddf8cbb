"""Cross-cutting parts: database, errors, logging, authentication, permissions."""
