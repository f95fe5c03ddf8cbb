"""The `renda` command against the test database, run as a newcomer would run it (a subprocess)."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from tests.conftest import raw_fetchval

CODE = "610927"  # 镇坪县


async def renda(database_url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "RENDA_DATABASE_URL": database_url,
        "RENDA_SECRET_KEY": "test-secret",
        "RENDA_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "renda.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_tenant_commands(database_url, hierarchy) -> None:
    status, out, err = await renda(
        database_url,
        "tenants",
        "create",
        "--code",
        CODE,
        "--name",
        "镇坪县人大常委会",
        "--level",
        "county",
        "--parent",
        "610900",
    )
    assert status == 0, err
    assert CODE in out and "t_610927" in out
    assert (
        await raw_fetchval(
            database_url, "select count(*) from information_schema.schemata where schema_name = 't_610927'"
        )
        == 1
    )

    status, _, err = await renda(
        database_url, "tenants", "create", "--code", "61092", "--name", "错", "--level", "county"
    )
    assert (status != 0 and "invalid_division_code" in err) or "行政区划" in err

    status, out, _ = await renda(database_url, "tenants", "suspend", CODE, "--reason", "机构调整")
    assert status == 0 and "停用" in out
    status, out, _ = await renda(database_url, "tenants", "resume", CODE)
    assert (status == 0 and "正常" in out) or "启用" in out
    status, out, _ = await renda(database_url, "tenants", "list")
    assert status == 0 and CODE in out and "610922" in out

    status, out, err = await renda(database_url, "migrate")
    results = [json.loads(line) for line in out.splitlines()]
    assert status == 0, err
    assert {r["tenant"] for r in results} >= {CODE, "610922"} and all(r["result"] == "up-to-date" for r in results)


PRODUCTION = {"RENDA_ENV": "production", "RENDA_PUBLIC_URL": "https://renda.example.gov.cn"}


async def test_idp_add_refuses_plain_http_but_on_a_development_loopback(database_url, hierarchy) -> None:
    """ID tokens and client secrets travel over the issuer's address: http is for a local test provider only."""

    async def add(issuer: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        return await renda(
            database_url, "idp", "add", "--name", "明文身份认证", "--issuer", issuer, "--client-id", "http-test",
            "--client-secret", "s", env=env,
        )  # fmt: skip

    for issuer, env in [
        ("http://idp.example.gov.cn", PRODUCTION),
        ("http://127.0.0.1:9000", PRODUCTION),
        ("http://idp.example.gov.cn", {"RENDA_ENV": "development"}),
    ]:
        status, _, err = await add(issuer, env)
        assert status != 0 and "invalid_issuer" in err and "https://" in err, (issuer, env, err)
    stored = await raw_fetchval(
        database_url, "select count(*) from platform.identity_providers where client_id = 'http-test'"
    )
    assert stored == 0
    status, _, err = await add("http://127.0.0.1:9000", {"RENDA_ENV": "development"})
    assert status == 0, err


async def test_idp_and_admin_commands(database_url, hierarchy) -> None:
    issuer = "https://idp.cli-test.example.gov.cn"
    status, out, err = await renda(
        database_url, "idp", "add", "--name", "安康市统一身份认证", "--issuer", issuer, "--client-id", "renda",
        "--client-secret", "cli-secret", "--office", "610900",
    )  # fmt: skip
    assert status == 0, err
    provider_id = out.split("\t", 1)[0]
    stored = await raw_fetchval(
        database_url, "select client_secret_encrypted from platform.identity_providers where issuer = $1", issuer
    )
    assert stored and "cli-secret" not in stored
    status, out, _ = await renda(database_url, "idp", "list")
    assert provider_id in out and "610900" in out and "cli-secret" not in out

    status, _, err = await renda(
        database_url, "idp", "add", "--name", "x", "--issuer", "ftp://x", "--client-id", "a", "--client-secret", "b"
    )
    assert status != 0 and "invalid_issuer" in err

    status, _, err = await renda(database_url, "idp", "remove", provider_id)
    assert status == 0, err
    assert (
        await raw_fetchval(database_url, "select count(*) from platform.identity_providers where issuer = $1", issuer)
        == 0
    )

    status, out, err = await renda(database_url, "admin", "create", "--name", "命令行管理员")
    assert status == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("rdt_")
    assert (
        await raw_fetchval(
            database_url, "select count(*) from platform.api_tokens where token_hash like $1", "%" + token
        )
        == 0
    )
