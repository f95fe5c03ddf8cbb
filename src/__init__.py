"""Renda: the platform for People's Congress deputy work (人大代表工作)."""

VERSION = "0.1.0"
