"""Tenants: the registry of offices, their schemas, provisioning, migrations and request scoping."""
