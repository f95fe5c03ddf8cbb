"""Rotating RENDA_SECRET_KEY: `renda keys rotate` re-encrypts every encrypted column under the new
key and recomputes the keyed hashes kept beside them (and the directory's person keys made from a
person's ID number hash), platform first, then office by office, in batches of one transaction each.

Run with the new key as RENDA_SECRET_KEY and the old one as RENDA_SECRET_KEY_OLD (every other process
too, so both keys read meanwhile). A value the new key already reads is skipped: the command can be
stopped and run again, and a second run changes nothing. Invitations keep only a hash of their
contact, which cannot be recomputed: they match under the old key as long as RENDA_SECRET_KEY_OLD is
set (at most 90 days, their longest validity). Portal rate-limit hashes only live for a day.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from renda.core.crypto import decrypt, encrypt, lookup_hash, normalize_phone, under_current_key
from renda.core.db import PLATFORM_SCHEMA, Database
from renda.tenants.scoping import office_job
from renda.tenants.transfer import quoted

log = logging.getLogger("renda.keys")


@dataclass(frozen=True)
class Secret:
    table: str
    column: str  # Fernet ciphertext
    key: str = "id"
    hash_column: str | None = None
    # What the hash is taken of, given the plaintext: as the writing module hashes it.
    hash_input: Callable[[str], str] | None = None


PLATFORM_SECRETS = (
    Secret("users", "mobile_encrypted"),  # accounts
    Secret("users", "signin_mobile_encrypted"),
    Secret("web_sessions", "id_token_encrypted", key="token_hash"),
    Secret("identity_providers", "client_secret_encrypted"),  # sso
)
OFFICE_SECRETS = (
    # deputies.persons.id_number_key; the directory and the claims carry it as `person_key`.
    Secret("persons", "id_number_encrypted", hash_column="id_number_hash", hash_input=lambda n: f"id_number:{n}"),
    Secret("persons", "mobile_encrypted"),
    # receptions.records._set_phone
    Secret(
        "receptions", "visitor_phone_encrypted", hash_column="visitor_phone_hash", hash_input=lambda p: "mobile:" + p
    ),
    # opinions.common.phone_key
    Secret(
        "opinions",
        "submitter_phone_encrypted",
        hash_column="submitter_phone_hash",
        hash_input=lambda p: "mobile:" + normalize_phone(p),
    ),
    Secret("opinion_sms", "text_encrypted"),
)


@dataclass
class Rotated:
    office: str | None  # None: the platform schema
    table: str
    column: str
    rotated: int = 0
    current: int = 0  # already under the new key
    unreadable: list[str] = field(default_factory=list)  # keys of rows neither key decrypts
    seconds: float = 0.0


async def rotate_all(database: Database, batch: int = 500) -> list[Rotated]:
    results = [await _rotate(database, None, PLATFORM_SCHEMA, secret, batch) for secret in PLATFORM_SECRETS]
    async with database.engine.connect() as connection:
        offices = (await connection.execute(text("select code, schema_name from platform.tenants order by path"))).all()
    for code, schema in offices:
        with office_job(code):
            for secret in OFFICE_SECRETS:
                results.append(await _rotate(database, code, schema, secret, batch))
    return results


async def _rotate(database: Database, office: str | None, schema: str, secret: Secret, batch: int) -> Rotated:
    started = time.perf_counter()
    done = Rotated(office, secret.table, secret.column)
    table, key, column = quoted(schema, secret.table), quoted(secret.key), quoted(secret.column)
    hashed = f", {quoted(secret.hash_column)}" if secret.hash_column else ""
    engine = database.engine.execution_options(schema_translate_map={None: schema})
    last: Any = None
    while True:
        async with engine.connect() as connection:
            after = "" if last is None else f" and {key} > :last"
            query = (
                f"select {key}, {column}{hashed} from {table} where {column} is not null{after}"
                f" order by {key} limit :batch"
            )
            rows = (await connection.execute(text(query), {"last": last, "batch": batch})).all()
            if not rows:
                break
            changes = [change for row in rows if (change := _change(secret, row, done)) is not None]
            if changes:
                await _write(connection, office, secret, table, changes)
            await connection.commit()
        last = rows[-1][0]
    done.seconds = time.perf_counter() - started
    if done.rotated or done.unreadable:
        log.info(
            "secrets rotated",
            extra={
                "office": office,
                "table": secret.table,
                "rotated": done.rotated,
                "unreadable": len(done.unreadable),
            },
        )
    return done


def _change(secret: Secret, row: Any, done: Rotated) -> dict[str, Any] | None:
    ciphertext = row[1]
    if under_current_key(ciphertext):
        done.current += 1
        return None
    try:
        plaintext = decrypt(ciphertext)
    except ValueError:
        done.unreadable.append(str(row[0]))
        return None
    done.rotated += 1
    change = {"k": row[0], "ct": encrypt(plaintext)}
    if secret.hash_input is not None:
        change.update(h=lookup_hash(secret.hash_input(plaintext)), old=row[2])
    return change


async def _write(
    connection: Any, office: str | None, secret: Secret, table: str, changes: list[dict[str, Any]]
) -> None:
    sets = f"{quoted(secret.column)} = :ct"
    if secret.hash_column:
        sets += f", {quoted(secret.hash_column)} = :h"
    await connection.execute(text(f"update {table} set {sets} where {quoted(secret.key)} = :k"), changes)
    if secret.table == "persons" and secret.hash_column and office is not None:
        # The office's published mandates and its claims name the person by this hash.
        moved = [{"new": c["h"], "old": c["old"], "office": office} for c in changes if c["old"] and c["old"] != c["h"]]
        for target in ("mandate_directory", "mandate_claims"):
            if moved:
                await connection.execute(
                    text(
                        f"update platform.{target} set person_key = :new"
                        " where recorded_by = :office and person_key = :old"
                    ),
                    moved,
                )
