"""Duty performance (履职): activities with QR sign-in, evidence, the points rules and ledger, the
yearly star rating, the points store and the yearly archives (一人一档、一年一归档)."""
