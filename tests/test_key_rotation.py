"""Rotating RENDA_SECRET_KEY with `renda keys rotate`: every encrypted value reads under the new key
alone and says what it said, the hashes beside them (and the directory's person keys) are the new
key's, a second run changes nothing, and invitations made under the old key still match while it is
configured. A deployment of its own: rotating the shared test database would strand the other tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from renda.core.crypto import configure_secrets, decrypt, lookup_hash
from renda.core.db import PlatformBase, TenantBase
from renda.tenants.migrations import load_all_models
from renda.tenants.rotation import OFFICE_SECRETS, PLATFORM_SECRETS, Secret
from tests.conftest import _asyncpg_dsn
from tests.support.demo_database import COUNTY, configured, demo_deployment
from tests.test_cli import renda

OLD, NEW = "test-secret", "a-new-and-longer-secret-key"
INVITED_PHONE = "13800138000"  # the demo deployment's invitation (tests.support.demo_database)


async def test_every_encrypted_column_is_rotated() -> None:
    """A new encrypted column must join the rotation, or a rotation leaves it unreadable."""
    await load_all_models()
    found = {
        (table.name, column.name)
        for metadata in (PlatformBase.metadata, TenantBase.metadata)
        for table in metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_encrypted")
    }
    assert found == {(s.table, s.column) for s in (*PLATFORM_SECRETS, *OFFICE_SECRETS)}


@pytest.fixture(scope="module")
async def deployment(database) -> AsyncIterator[str]:
    async with demo_deployment("keys") as url:
        async with configured(url) as db:
            from renda.modules.accounts import service as accounts
            from renda.modules.sso import service as sso

            async with db.platform_session() as session:
                session.info["actor"] = "system:test"
                await sso.save_provider(
                    session,
                    sso.ProviderIn("省统一身份认证", "https://idp.example.gov.cn", "renda", "client-secret"),
                    environment="test",
                )
                user = await accounts.create_user(session, "有手机号的用户")
                await accounts.set_contacts(session, user.id, email=None, mobile="13912345678", wechat_openid=None)
                await session.commit()
        yield url


async def _values(url: str) -> dict[tuple[str, str, str, str], tuple[str, str | None]]:
    """(schema, table, column, row key) → (ciphertext, hash beside it) of every encrypted value."""
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        schemas = [("platform", PLATFORM_SECRETS)] + [
            (r[0], OFFICE_SECRETS) for r in await conn.fetch("select schema_name from platform.tenants")
        ]
        found: dict[tuple[str, str, str, str], tuple[str, str | None]] = {}
        for schema, secrets in schemas:
            for s in secrets:
                hashed = s.hash_column or "null"
                for row in await conn.fetch(
                    f'select {s.key}::text, {s.column}, {hashed} from "{schema}".{s.table} where {s.column} is not null'
                ):
                    found[(schema, s.table, s.column, row[0])] = (row[1], row[2])
        return found
    finally:
        await conn.close()


def _secret(table: str, column: str) -> Secret:
    return next(s for s in (*PLATFORM_SECRETS, *OFFICE_SECRETS) if (s.table, s.column) == (table, column))


async def test_rotation_re_encrypts_rehashes_and_can_run_again(deployment) -> None:
    before = await _values(deployment)
    tables = {(k[1], k[2]) for k in before}
    assert {
        ("persons", "id_number_encrypted"),
        ("opinions", "submitter_phone_encrypted"),
        ("receptions", "visitor_phone_encrypted"),
        ("opinion_sms", "text_encrypted"),
        ("identity_providers", "client_secret_encrypted"),
        ("users", "mobile_encrypted"),
    } <= tables
    configure_secrets(OLD)
    plain = {k: decrypt(ct) for k, (ct, _) in before.items()}

    env = {"RENDA_SECRET_KEY": NEW, "RENDA_SECRET_KEY_OLD": OLD}
    status, out, err = await renda(deployment, "keys", "rotate", "--batch", "7", env=env)
    assert status == 0, err
    assert f"{len(before)} 个加密值已换用新密钥,0 个无法解密" in err
    reported = [json.loads(line) for line in out.splitlines()]
    assert {(r["office"], r["table"]) for r in reported if r["rotated"]} >= {(COUNTY, "persons"), ("platform", "users")}

    after = await _values(deployment)
    assert after.keys() == before.keys()
    try:
        configure_secrets(NEW)  # the new key alone
        for k, (ciphertext, hashed) in after.items():
            assert decrypt(ciphertext) == plain[k], k
            secret = _secret(k[1], k[2])
            if secret.hash_input is not None:
                assert hashed == lookup_hash(secret.hash_input(plain[k])) != before[k][1], k
        await _directory_follows_the_persons(deployment)

        # Run again: nothing left to do.
        status, _, err = await renda(deployment, "keys", "rotate", env=env)
        assert status == 0 and "0 个加密值已换用新密钥" in err, err
        assert await _values(deployment) == after

        # An invitation keeps only the old key's hash of its contact: it matches while the old key is set.
        assert not await _accepts_invitation(deployment, "新密钥下的新同事")
        configure_secrets(NEW, [OLD])
        assert await _accepts_invitation(deployment, "新同事")
    finally:
        configure_secrets(OLD)  # the tests' key, as the session's fixtures set it

    # Without the old key the command refuses to start.
    status, _, err = await renda(deployment, "keys", "rotate", env={"RENDA_SECRET_KEY": NEW})
    assert status != 0 and "RENDA_SECRET_KEY_OLD" in err


async def _directory_follows_the_persons(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        stale = await conn.fetchval(
            f"""select count(*) from platform.mandate_directory d join t_{COUNTY}.persons p on p.id = d.person_id
                where d.recorded_by = $1 and p.id_number_hash is not null and d.person_key <> p.id_number_hash""",
            COUNTY,
        )
        claimed = await conn.fetchval(
            f"""select count(*) from platform.mandate_claims c
                where c.recorded_by = $1 and c.person_key in (select id_number_hash from t_{COUNTY}.persons)""",
            COUNTY,
        )
        claims = await conn.fetchval("select count(*) from platform.mandate_claims where recorded_by = $1", COUNTY)
    finally:
        await conn.close()
    assert stale == 0 and claimed == claims > 0


async def _accepts_invitation(url: str, name: str) -> Any:
    from renda.modules.accounts import service as accounts
    from renda.modules.members import service as members

    async with configured(url) as db, db.platform_session() as session:
        session.info["actor"] = "system:test"
        user = await accounts.create_user(session, name)
        accepted = await members.accept_invitations(session, user, [("phone", INVITED_PHONE)], lambda _t: True)
        await session.rollback()
        return accepted.accepted
