"""The deputy register (代表名册): congresses, terms, persons and their mandates at five levels."""
