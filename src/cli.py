"""The `renda` command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

import click
import msgspec

from renda.config import Settings
from renda.core.logging import configure_logging

log = logging.getLogger("renda.cli")


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _database(settings: Settings) -> Any:
    from renda.core.crypto import configure_secrets
    from renda.core.db import configure_database
    from renda.core.embedded import ensure_database_url

    configure_secrets(settings.secret_key, settings.old_secret_keys)
    return configure_database(ensure_database_url(settings), **settings.database_options, pool_size=5)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@click.group()
def main() -> None:
    """人大代表工作平台 (Renda)."""


def _serve(settings: Settings, with_scheduler: bool = False) -> None:
    import uvicorn

    from renda.app import create_app
    from renda.core.embedded import ensure_database_url

    url = ensure_database_url(settings)
    app = create_app(settings, url, with_scheduler=with_scheduler)
    proxied = settings.forwarded_allow_ips is not None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=proxied,
        forwarded_allow_ips=settings.forwarded_allow_ips if proxied else None,
    )


async def _migrate_and_report(settings: Settings) -> bool:
    from renda.tenants.migrations import migrate_all

    database = _database(settings)
    try:
        results = await migrate_all(database, settings.migrate_concurrency)
    finally:
        await database.dispose()
    for r in results:
        state = "failed" if not r.ok else ("upgraded" if r.changed else "up-to-date")
        click.echo(
            json.dumps(
                {
                    "tenant": r.code,
                    "result": state,
                    "from": r.before,
                    "to": r.after,
                    "seconds": round(r.seconds, 3),
                    "error": r.error,
                },
                ensure_ascii=False,
            )
        )
    failed = [r for r in results if not r.ok]
    click.echo(f"{len(results)} tenants: {len(results) - len(failed)} ok, {len(failed)} failed", err=True)
    return not failed


def _listen_options(command: Any) -> Any:
    command = click.option("--port", type=int, help="Port (default RENDA_PORT or 8000).")(command)
    return click.option("--host", help="Address (default RENDA_HOST or 127.0.0.1).")(command)


def _listen_overrides(host: str | None, port: int | None) -> dict[str, Any]:
    return {k: v for k, v in {"host": host, "port": port}.items() if v is not None}


@main.command()
@_listen_options
def demo(host: str | None, port: int | None) -> None:
    """Start the demo: embedded PostgreSQL (unless configured), seeded offices, in-process workers."""
    settings = _settings(demo_login=True, demo=True, **_listen_overrides(host, port))
    if settings.is_production:
        raise click.ClickException("renda demo cannot run with RENDA_ENV=production")
    configure_logging(settings.log_level)
    from renda.demo import seed_demo

    async def prepare() -> None:
        database = _database(settings)
        from renda.tenants.migrations import migrate_all

        await migrate_all(database, settings.migrate_concurrency)
        await seed_demo(database)
        await database.dispose()

    _run(prepare())
    click.echo(
        f"\n人大代表工作平台演示已启动: http://{settings.host}:{settings.port}/\n"
        "在登录页选择一个演示账号即可登录(例如“石泉县 代表工委 李强(演示)”)。\n"
        f"通知邮件不外发,在演示邮箱查看: http://{settings.host}:{settings.port}/demo/mailbox\n",
        err=True,
    )
    _serve(settings, with_scheduler=True)  # the demo has no separate scheduler process


@main.command()
@_listen_options
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application."""
    settings = _settings(**_listen_overrides(host, port))
    configure_logging(settings.log_level)
    _serve(settings)


@main.command()
def migrate() -> None:
    """Upgrade the platform schema, then every tenant schema; exits 1 if any tenant failed."""
    settings = _settings()
    configure_logging(settings.log_level)
    if not _run(_migrate_and_report(settings)):
        sys.exit(1)


@main.command()
@click.option("--threads", default=4, show_default=True)
def worker(threads: int) -> None:
    """Run dramatiq workers for every queue, and an outbox relay."""
    import threading

    import dramatiq

    from renda.core.crypto import configure_secrets
    from renda.core.db import configure_database
    from renda.core.embedded import ensure_database_url
    from renda.modules.audit.recorder import install_audit_recorder
    from renda.modules.duty.points_watch import install_points_watch
    from renda.modules.exports.service import configure_exports
    from renda.modules.notifications.channels import configure_channels
    from renda.modules.rollups.service import install_rollup_watch
    from renda.workers.broker import broker_for, registered_actors, use_broker
    from renda.workers.outbox import OutboxRelay, install_outbox_notify

    settings = _settings()
    configure_logging(settings.log_level)
    if not settings.broker_url:
        raise click.ClickException("renda worker needs RENDA_BROKER_URL (the demo runs its workers in-process)")
    install_audit_recorder()
    install_rollup_watch()
    install_points_watch()
    install_outbox_notify()
    configure_secrets(settings.secret_key, settings.old_secret_keys)  # jobs decrypt what they send (mobile numbers)
    configure_channels(settings)
    configure_exports(settings)
    database = configure_database(ensure_database_url(settings), **settings.database_options)
    broker = use_broker(broker_for(settings))
    broker.emit_after("process_boot")
    dramatiq_worker = dramatiq.Worker(broker, worker_threads=threads)
    dramatiq_worker.start()
    relay = OutboxRelay(database, broker, poll_seconds=settings.outbox_poll_seconds)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (relay.stop(), stop.set()))
    log.info(
        "worker started",
        extra={
            "queues": sorted(broker.get_declared_queues()),
            "actors": len(registered_actors()),
            "threads": threads,
            "broker": type(broker).__name__,
            "pid": os.getpid(),
        },
    )
    try:
        _run(relay.run())
        stop.wait()
    finally:
        log.info("worker stopping: finishing jobs in progress", extra={"pid": os.getpid()})
        dramatiq_worker.stop()
        broker.close()
        log.info("worker stopped", extra={"pid": os.getpid()})


@main.command()
def scheduler() -> None:
    """Enqueue periodic jobs (safe to run as several replicas)."""
    from renda.workers.broker import load_actor_modules
    from renda.workers.scheduler import registered_jobs, run_scheduler

    settings = _settings()
    configure_logging(settings.log_level)
    load_actor_modules()
    database = _database(settings)
    jobs = registered_jobs()
    log.info(
        "scheduler started",
        extra={"jobs": {name: str(job.schedule) for name, job in sorted(jobs.items())}, "pid": os.getpid()},
    )
    stop = asyncio.Event()

    async def go() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_scheduler(database, stop=stop)
        finally:
            await database.dispose()

    _run(go())
    log.info("scheduler stopped", extra={"pid": os.getpid()})


@main.group()
def tenants() -> None:
    """Manage offices (tenants)."""


def _print_tenant(tenant: Any) -> None:
    from renda.tenants.schemas import TenantOut

    out = TenantOut.of(tenant)
    click.echo(f"{out.code}\t{out.level_label}\t{out.status_label}\t{out.name}\t{out.schema}")


def _fail_on_app_error(fn: Any) -> Any:
    from functools import wraps

    from renda.core.errors import AppError

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AppError as exc:
            raise click.ClickException(f"{exc.message} [{exc.code}]") from exc

    return wrapper


CLI_ACTOR = "system:cli:命令行"


def _admin_options(command: Any) -> Any:
    command = click.option("--admin-phone", default=None, help="... or mobile number")(command)
    command = click.option("--admin-email", default=None, help="the administrator's email ...")(command)
    return click.option("--admin-name", default=None, help="the office's first administrator")(command)


async def _sign_in_link(session: Any, code: str, name: str, email: str | None, phone: str | None, role: str) -> str:
    """An invitation with a sign-in link, for a person no identity provider knows yet."""
    from renda.modules.members import service as members
    from renda.modules.members.schemas import InvitationIn
    from renda.tenants.scoping import load_tenant

    tenant = await load_tenant(code)
    invitation = await members.invite(
        session, tenant, InvitationIn(display_name=name, roles=[role], email=email, phone=phone), CLI_ACTOR
    )
    token = await members.issue_sign_in_link(session, invitation)
    return f"{_settings().public_url.rstrip('/')}/invitations/{token}"


@tenants.command("create")
@click.option("--code", required=True, help="行政区划代码 (6 or 9 digits)")
@click.option("--name", required=True)
@click.option("--level", required=True, type=click.Choice(["city", "county", "township"]))
@click.option("--parent", default=None, help="parent office's division code")
@_admin_options
@_fail_on_app_error
def tenants_create(
    code: str,
    name: str,
    level: str,
    parent: str | None,
    admin_name: str | None,
    admin_email: str | None,
    admin_phone: str | None,
) -> None:
    """Create an office; with --admin-name and --admin-email (or --admin-phone), also invite its first
    administrator and print the one-use sign-in link to send them."""
    from renda.tenants import service
    from renda.tenants.divisions import Level
    from renda.tenants.migrations import upgrade_platform
    from renda.tenants.schemas import TenantCreate

    if bool(admin_name) != bool(admin_email or admin_phone):
        raise click.UsageError("--admin-name needs --admin-email or --admin-phone, and they need --admin-name")

    async def go() -> Any:
        database = _database(_settings())
        try:
            await upgrade_platform(database)
            tenant = await service.create_tenant(
                database, TenantCreate(code, name, Level(level), parent), actor=CLI_ACTOR
            )
            link = None
            if admin_name:
                async with database.platform_session() as session:
                    session.info["actor"] = CLI_ACTOR
                    link = await _sign_in_link(session, code, admin_name, admin_email, admin_phone, "office_admin")
                    await session.commit()
            return tenant, link
        finally:
            await database.dispose()

    tenant, link = _run(go())
    _print_tenant(tenant)
    if link:
        click.echo(f"管理员登录链接(一次有效,请发送给 {admin_name}):{link}")


@tenants.command("invite")
@click.argument("code")
@click.option("--role", default="office_admin", type=click.Choice(["office_admin", "staff", "viewer"]))
@_admin_options
@_fail_on_app_error
def tenants_invite(
    code: str, role: str, admin_name: str | None, admin_email: str | None, admin_phone: str | None
) -> None:
    """Invite a person to an office with a one-use sign-in link (no identity provider needed)."""
    if not admin_name or not (admin_email or admin_phone):
        raise click.UsageError("--admin-name and --admin-email (or --admin-phone) are required")
    link = _run(
        _in_platform_session(lambda session: _sign_in_link(session, code, admin_name, admin_email, admin_phone, role))
    )
    click.echo(f"登录链接(一次有效,请发送给 {admin_name}):{link}")


@tenants.command("list")
@click.option("--level", default=None)
@click.option("--status", default=None)
def tenants_list(level: str | None, status: str | None) -> None:
    from renda.tenants import service

    async def go() -> Any:
        database = _database(_settings())
        try:
            async with database.platform_session() as session:
                return await service.list_tenants(session, level=level, status=status, page_size=200)
        finally:
            await database.dispose()

    for tenant in _run(go()).items:
        _print_tenant(tenant)


@tenants.command("show")
@click.argument("code")
@_fail_on_app_error
def tenants_show(code: str) -> None:
    from renda.tenants import service

    async def go() -> Any:
        database = _database(_settings())
        try:
            async with database.platform_session() as session:
                return await service.get_by_code(session, code)
        finally:
            await database.dispose()

    _print_tenant(_run(go()))


def _set_status(code: str, status: str, reason: str | None) -> None:
    from renda.tenants import service
    from renda.tenants.models import TenantStatus

    async def go() -> Any:
        database = _database(_settings())
        try:
            return await service.set_status(database, code, TenantStatus(status), actor=CLI_ACTOR, reason=reason)
        finally:
            await database.dispose()

    _print_tenant(_run(go()))


@tenants.command("suspend")
@click.argument("code")
@click.option("--reason", default=None)
@_fail_on_app_error
def tenants_suspend(code: str, reason: str | None) -> None:
    _set_status(code, "suspended", reason)


@tenants.command("resume")
@click.argument("code")
@_fail_on_app_error
def tenants_resume(code: str) -> None:
    _set_status(code, "active", None)


@tenants.command("export")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="file to write (.tar.gz)")
@_fail_on_app_error
def tenants_export(code: str, out: str) -> None:
    """Write one office's complete data (its schema and its platform rows) to one file."""
    from pathlib import Path

    from renda.tenants.transfer import export_office

    async def go() -> Any:
        database = _database(_settings())
        try:
            return await export_office(database, code, Path(out))
        finally:
            await database.dispose()

    try:
        done = _run(go())
    except OSError as error:  # a full disk, an unwritable folder: the partial file is already gone
        raise click.ClickException(f"导出失败,未留下文件:{error}") from error
    click.echo(f"{done.code}\t{done.path}\t{done.tables} 张表\t{done.rows} 行\t{done.size} 字节\t{done.seconds:.2f} 秒")


@tenants.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="restore an office this deployment has: only its data is replaced")
@click.option("--other-key", is_flag=True, help="accept a file exported under another RENDA_SECRET_KEY")
@_fail_on_app_error
def tenants_import(file: str, replace: bool, other_key: bool) -> None:
    """Load an office export into this deployment (one transaction; other offices untouched)."""
    from pathlib import Path

    from renda.tenants.restore import import_office

    settings = _settings()
    configure_logging(settings.log_level)

    async def go() -> Any:
        database = _database(settings)
        try:
            return await import_office(database, Path(file), replace=replace, other_key=other_key)
        finally:
            await database.dispose()

    done = _run(go())
    action = "已恢复" if done.replaced else "已导入"
    click.echo(f"{done.code}\t{action}\t{done.tables} 张表\t{done.rows} 行\t{done.seconds:.2f} 秒")
    if done.missing_children:
        click.echo(f"导出时的下级机关不在本部署中:{', '.join(done.missing_children)}(需要时逐个导入)", err=True)


@main.group()
def admin() -> None:
    """Platform administrators."""


@admin.command("create")
@click.option("--name", required=True)
@click.option("--email", default=None)
@_fail_on_app_error
def admin_create(name: str, email: str | None) -> None:
    """Create a platform administrator and print an API token for it (shown once)."""
    from renda.modules.accounts import service
    from renda.tenants.migrations import upgrade_platform

    async def go() -> str:
        database = _database(_settings())
        try:
            await upgrade_platform(database)
            async with database.platform_session() as session:
                session.info["actor"] = CLI_ACTOR
                user = await service.create_user(session, name, email=email, platform_admin=True)
                token = await service.issue_api_token(session, user, "renda admin create")
                await session.commit()
                return token
        finally:
            await database.dispose()

    click.echo(_run(go()))
    click.echo("这是该管理员的 API 令牌,只显示这一次,请妥善保存。", err=True)


@main.group()
def idp() -> None:
    """Identity providers (统一身份认证) for staff sign-in."""


async def _in_platform_session(work: Any) -> Any:
    from renda.tenants.migrations import upgrade_platform

    database = _database(_settings())
    try:
        await upgrade_platform(database)
        async with database.platform_session() as session:
            session.info["actor"] = CLI_ACTOR
            result = await work(session)
            await session.commit()
            return result
    finally:
        await database.dispose()


def _print_provider(p: Any) -> None:
    offices = ",".join(p.office_codes) or "全部机关"
    flags = ("默认" if p.is_default else "") + ("" if p.enabled else " 已停用")
    click.echo(f"{p.id}\t{p.name}\t{p.issuer}\t{p.client_id}\t{offices}\t{flags.strip()}")


@idp.command("add")
@click.option("--name", required=True, help="shown on the sign-in page, e.g. 陕西省统一身份认证")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--client-secret", envvar="RENDA_IDP_CLIENT_SECRET", prompt=True, hide_input=True)
@click.option("--scopes", default="openid profile email phone", show_default=True)
@click.option("--office-claim", default="division_codes", show_default=True, help="claim with office codes")
@click.option("--roles-claim", default="renda_roles", show_default=True, help="claim with roles")
@click.option("--default-role", "default_roles", multiple=True, default=["viewer"], show_default=True)
@click.option("--office", "offices", multiple=True, help="office it serves, with all offices beneath (repeat)")
@click.option("--default", "is_default", is_flag=True, help="use it for offices that have no provider of their own")
@_fail_on_app_error
def idp_add(**options: Any) -> None:
    """Register a provider, or update the one with the same issuer and client id."""
    from renda.modules.sso import service

    data = service.ProviderIn(
        name=options["name"],
        issuer=options["issuer"],
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        scopes=options["scopes"],
        office_claim=options["office_claim"],
        roles_claim=options["roles_claim"],
        default_roles=tuple(options["default_roles"]),
        office_codes=tuple(options["offices"]),
        is_default=options["is_default"],
    )
    environment = _settings().environment
    saved = _run(_in_platform_session(lambda session: service.save_provider(session, data, environment=environment)))
    _print_provider(saved)


@idp.command("list")
def idp_list() -> None:
    from renda.modules.sso import service

    for provider in _run(_in_platform_session(service.list_providers)):
        _print_provider(provider)


@idp.command("remove")
@click.argument("provider_id", type=click.UUID)
@_fail_on_app_error
def idp_remove(provider_id: Any) -> None:
    from renda.modules.sso import service

    _run(_in_platform_session(lambda session: service.remove_provider(session, provider_id)))
    click.echo(f"已删除 {provider_id}")


@main.group()
def ops() -> None:
    """The platform's state for its operators."""


@ops.command("status")
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
def ops_status(as_json: bool) -> None:
    """The outbox's lag, dead jobs and each office's schema revision; exits 1 when an office is behind."""
    from renda.tenants import operations
    from renda.tenants.schemas import OperationsOut

    status = _run(_in_platform_session(operations.platform_status))
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(OperationsOut.of(status)), ensure_ascii=False))
    else:
        lag = status.outbox
        click.echo(
            f"发件箱: {lag.waiting} 条待发送, {lag.due} 条已到时间, "
            f"最长等待 {lag.lag_seconds:.1f} 秒, {lag.retrying} 条重试中"
        )
        click.echo(f"失败任务: {status.dead_total} 个待处理")
        for dead in status.dead_jobs:
            click.echo(f"  {dead.actor}\t{dead.count}")
        behind = status.offices_behind
        click.echo(f"数据库版本: 最新 {status.head}, {len(status.offices)} 个机关, {len(behind)} 个未升级")
        for office in behind:
            click.echo(f"  {office.code}\t{office.name}\t{office.revision or '未建立'}")
    if status.offices_behind:
        raise SystemExit(1)


@main.group()
def jobs() -> None:
    """Background jobs that failed their last retry (dead jobs)."""


@jobs.command("dead")
@click.option("--office", default=None, help="only this office's jobs (division code)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def jobs_dead(office: str | None, as_json: bool) -> None:
    """List dead jobs not yet retried, newest first."""
    from renda.core.timezone import to_local
    from renda.workers import dead_jobs

    found = _run(_in_platform_session(lambda session: dead_jobs.list_dead(session, office)))
    for job in found:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": job.id,
                        "failed_at": job.failed_at.isoformat(),
                        "office": job.tenant_code,
                        "actor": job.actor_name,
                        "queue": job.queue_name,
                        "message_id": job.message_id,
                        "args": job.args,
                        "kwargs": job.kwargs,
                        "error": job.error,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                f"{job.id}\t{to_local(job.failed_at):%Y-%m-%d %H:%M:%S}\t{job.tenant_code or '-'}\t"
                f"{job.actor_name}\t{dead_jobs.args_summary(job)}\t{dead_jobs.last_line(job)}"
            )
    if not as_json:
        click.echo(f"{len(found)} 个失败任务待处理", err=True)


@jobs.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="every dead job not yet retried")
@click.option("--office", default=None, help="only this office's jobs (division code)")
@_fail_on_app_error
def jobs_retry(ids: tuple[int, ...], everything: bool, office: str | None) -> None:
    """Send dead jobs again (as new messages, through the outbox)."""
    from renda.workers import dead_jobs

    if bool(ids) == everything:
        raise click.UsageError("give job ids or --all")
    done = _run(
        _in_platform_session(lambda session: dead_jobs.retry(session, ids, everything=everything, office=office))
    )
    for item in done:
        job = item.job
        if item.new_message_id:
            click.echo(
                f"{job.id}\tretried\t{job.actor_name}\t{job.tenant_code or '-'}\tnew message {item.new_message_id}"
            )
        else:
            click.echo(f"{job.id}\tskipped\t{job.actor_name}\t{job.tenant_code or '-'}\talready retried")
    click.echo(f"{sum(1 for r in done if r.new_message_id)} 个任务已重新发送", err=True)


@main.group()
def keys() -> None:
    """RENDA_SECRET_KEY: rotating it (docs/operations.md)."""


@keys.command("rotate")
@click.option("--batch", default=500, show_default=True, help="rows per transaction")
def keys_rotate(batch: int) -> None:
    """Re-encrypt every encrypted column under RENDA_SECRET_KEY (reading with RENDA_SECRET_KEY_OLD);
    safe to stop and run again. Exits 1 if some value neither key decrypts."""
    from renda.tenants.rotation import rotate_all

    settings = _settings()
    configure_logging(settings.log_level)
    if not settings.old_secret_keys:
        raise click.ClickException("设置 RENDA_SECRET_KEY_OLD 为原密钥、RENDA_SECRET_KEY 为新密钥后再运行")

    async def go() -> Any:
        database = _database(settings)
        try:
            return await rotate_all(database, batch=max(1, batch))
        finally:
            await database.dispose()

    results = _run(go())
    for r in results:
        if r.rotated or r.unreadable or r.current:
            click.echo(
                json.dumps(
                    {
                        "office": r.office or "platform",
                        "table": r.table,
                        "column": r.column,
                        "rotated": r.rotated,
                        "already": r.current,
                        "unreadable": r.unreadable[:20],
                        "seconds": round(r.seconds, 3),
                    },
                    ensure_ascii=False,
                )
            )
    rotated, unreadable = sum(r.rotated for r in results), sum(len(r.unreadable) for r in results)
    click.echo(f"{rotated} 个加密值已换用新密钥,{unreadable} 个无法解密", err=True)
    if unreadable:
        sys.exit(1)


@main.group()
def rollups() -> None:
    """Every office's rolled-up figures (统计汇总)."""


@rollups.command("recompute")
@click.option("--months", default=1, show_default=True, help="also the months, quarters and years of the last N months")
def rollups_recompute(months: int) -> None:
    """Recompute every office's figures from scratch (the nightly job does the running periods)."""
    from renda.core.timezone import local_today
    from renda.modules.rollups.periods import recent
    from renda.modules.rollups.service import recompute_all

    if months < 1:
        raise click.UsageError("--months must be at least 1")
    settings = _settings()
    configure_logging(settings.log_level)
    periods = recent(local_today(), months)

    async def go() -> int:
        database = _database(settings)
        try:
            return await recompute_all(periods)
        finally:
            await database.dispose()

    written = _run(go())
    click.echo(f"{len(periods)} 个统计期间已重算,写入 {written} 个数字: {', '.join(p.key for p in periods)}")


if __name__ == "__main__":
    main()
