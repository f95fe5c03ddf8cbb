"""Settings from RENDA_* environment variables, with defaults that suit the local demo."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as well as `postgresql+asyncpg://`."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"RENDA_DATABASE_URL must be a PostgreSQL URL, got {url.split(':', 1)[0]}://…")


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    # Behind a transaction pooler (PgBouncer `pool_mode = transaction`): no prepared statements kept
    # between transactions, and what needs a session of its own (the outbox's LISTEN, migrations)
    # goes to `database_direct_url`, the server itself (docs/scaling.md).
    database_transaction_pooler: bool = False
    database_direct_url: str | None = None
    broker_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(user_data_dir("renda")))
    secret_key: str = "renda-demo-secret-change-me"
    # Keys being rotated away from (RENDA_SECRET_KEY_OLD, comma-separated): still read, never written.
    old_secret_keys: tuple[str, ...] = ()
    environment: str = "development"  # development | production
    demo_login: bool = False
    # Demo mode (`renda demo`, or RENDA_DEMO): role switching is not rate limited and email goes to
    # the local demo mailbox (`/demo/mailbox`) instead of a mail server. Never in production.
    demo: bool = False
    # The demo mailbox: one JSON line per email (default: `demo-mailbox.jsonl` in the data directory).
    demo_mailbox_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses, or "*"): the
    # portal's per-address limits need the visitor's address, not the proxy's.
    forwarded_allow_ips: str | None = None
    migrate_concurrency: int = 4
    # Connections per web or worker process (each request holds one), and prepared statements kept
    # per connection: a statement is prepared once per office schema it runs in.
    database_pool_size: int = 20
    database_statement_cache: int = 1000
    # Seconds to wait for PostgreSQL to accept a new connection, and for a pooled connection to come
    # free: past them a request answers 503 `database_unavailable` instead of hanging.
    database_connect_timeout: float = 5.0
    database_pool_timeout: float = 10.0
    # The outbox relay sends on every commit's NOTIFY; its sweep this often catches what no NOTIFY brought.
    outbox_poll_seconds: float = 2.0
    # How long an export (a list, a batch of archives) may take to build; past it, it fails saying so.
    export_time_limit_seconds: float = 600.0
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    max_upload_bytes: int = 20 * 1024 * 1024
    log_level: str = "INFO"
    # Where browsers reach the service; the OIDC redirect URI and cookie security follow from it.
    public_url: str = ""
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = "统一身份认证"
    # Notification email; without a host, development logs the messages and production skips them.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "人大代表工作平台 <noreply@renda.local>"
    smtp_starttls: bool = False
    # Instead of sending: every notification handed to a channel is written as a line of this file.
    notify_record_file: Path | None = None
    # Redis broker only: a worker silent this long counts as dead and its unacknowledged messages go
    # back to their queues. Every worker beats every `broker_sweep_seconds` from a thread of its own
    # (workers/redis_heartbeat.py), busy or not, and looks for dead workers as often: a killed
    # worker's messages are back within the sum of the two (35 s). Lower it only in tests.
    broker_heartbeat_seconds: int = 30
    broker_sweep_seconds: float = 5.0
    # Redis broker only: per million broker commands, how many also run that dead-worker check.
    broker_maintenance_chance: int = 1000

    # RabbitMQ only: declare the queues (with their delay and dead-letter queues) as quorum queues,
    # replicated over the cluster's nodes. A queue keeps the type it was first declared with.
    rabbitmq_quorum: bool = False

    def __post_init__(self) -> None:
        if not self.public_url:
            object.__setattr__(self, "public_url", f"http://{self.host}:{self.port}")
        # Checked on every construction (not only from_env), so no production settings with the demo
        # sign-in or a default secret can exist at all.
        self.validate()

    @property
    def async_database_url(self) -> str | None:
        return normalize_database_url(self.database_url) if self.database_url else None

    @property
    def demo_mode(self) -> bool:
        """The demo as `renda demo` runs it; production settings can never have it (validate)."""
        return self.demo and not self.is_production

    @property
    def mailbox_path(self) -> Path:
        return self.demo_mailbox_file or self.data_dir / "demo-mailbox.jsonl"

    @property
    def database_options(self) -> dict[str, Any]:
        """What `configure_database` needs to know about the way to the database."""
        direct = normalize_database_url(self.database_direct_url) if self.database_direct_url else None
        return {"transaction_pooler": self.database_transaction_pooler, "direct_url": direct}

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies everywhere but a plain-http local address (the demo)."""
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": _env("RENDA_DATABASE_URL"),
            "database_transaction_pooler": _env_bool("RENDA_DATABASE_TRANSACTION_POOLER", False),
            "database_direct_url": _env("RENDA_DATABASE_DIRECT_URL"),
            "broker_url": _env("RENDA_BROKER_URL"),
            "rabbitmq_quorum": _env_bool("RENDA_RABBITMQ_QUORUM", False),
            "environment": _env("RENDA_ENV", "development"),
            "secret_key": _env("RENDA_SECRET_KEY", "renda-demo-secret-change-me"),
            "old_secret_keys": tuple(k.strip() for k in (_env("RENDA_SECRET_KEY_OLD") or "").split(",") if k.strip()),
            "host": _env("RENDA_HOST", "127.0.0.1"),
            "port": int(_env("RENDA_PORT", "8000") or 8000),
            "forwarded_allow_ips": _env("RENDA_FORWARDED_ALLOW_IPS"),
            "migrate_concurrency": int(_env("RENDA_MIGRATE_CONCURRENCY", "4") or 4),
            "database_pool_size": int(_env("RENDA_DATABASE_POOL_SIZE", "20") or 20),
            "database_statement_cache": int(_env("RENDA_DATABASE_STATEMENT_CACHE", "1000") or 1000),
            "database_connect_timeout": float(_env("RENDA_DATABASE_CONNECT_TIMEOUT", "5") or 5),
            "database_pool_timeout": float(_env("RENDA_DATABASE_POOL_TIMEOUT", "10") or 10),
            "outbox_poll_seconds": float(_env("RENDA_OUTBOX_POLL_SECONDS", "2") or 2),
            "export_time_limit_seconds": float(_env("RENDA_EXPORT_TIME_LIMIT_SECONDS", "600") or 600),
            "log_level": _env("RENDA_LOG_LEVEL", "INFO"),
            "demo_login": _env_bool("RENDA_DEMO_LOGIN", False),
            "demo": _env_bool("RENDA_DEMO", False),
            "session_idle_minutes": int(_env("RENDA_SESSION_IDLE_MINUTES", "120") or 120),
            "session_absolute_hours": int(_env("RENDA_SESSION_ABSOLUTE_HOURS", "12") or 12),
            "public_url": _env("RENDA_PUBLIC_URL", ""),
            "oidc_issuer": _env("RENDA_OIDC_ISSUER"),
            "oidc_client_id": _env("RENDA_OIDC_CLIENT_ID"),
            "oidc_client_secret": _env("RENDA_OIDC_CLIENT_SECRET"),
            "oidc_name": _env("RENDA_OIDC_NAME", "统一身份认证"),
            "smtp_host": _env("RENDA_SMTP_HOST"),
            "smtp_port": int(_env("RENDA_SMTP_PORT", "25") or 25),
            "smtp_username": _env("RENDA_SMTP_USERNAME"),
            "smtp_password": _env("RENDA_SMTP_PASSWORD"),
            "smtp_from": _env("RENDA_SMTP_FROM", "人大代表工作平台 <noreply@renda.local>"),
            "smtp_starttls": _env_bool("RENDA_SMTP_STARTTLS", False),
            "broker_heartbeat_seconds": int(_env("RENDA_BROKER_HEARTBEAT_SECONDS", "30") or 30),
            "broker_sweep_seconds": float(_env("RENDA_BROKER_SWEEP_SECONDS", "5") or 5),
            "broker_maintenance_chance": int(_env("RENDA_BROKER_MAINTENANCE_CHANCE", "1000") or 1000),
        }
        mailbox = _env("RENDA_DEMO_MAILBOX_FILE")
        if mailbox:
            values["demo_mailbox_file"] = Path(mailbox)
        record_file = _env("RENDA_NOTIFY_RECORD_FILE")
        if record_file:
            values["notify_record_file"] = Path(record_file)
        data_dir = _env("RENDA_DATA_DIR")
        if data_dir:
            values["data_dir"] = Path(data_dir)
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.is_production:
            if self.demo_login:
                raise ValueError("RENDA_DEMO_LOGIN cannot be enabled when RENDA_ENV=production")
            if self.demo:
                raise ValueError("RENDA_DEMO cannot be enabled when RENDA_ENV=production")
            if self.secret_key == "renda-demo-secret-change-me":
                raise ValueError("RENDA_SECRET_KEY must be set when RENDA_ENV=production")
            if not self.database_url:
                raise ValueError("RENDA_DATABASE_URL must be set when RENDA_ENV=production")
            if not self.public_url.startswith("https://"):
                raise ValueError("RENDA_PUBLIC_URL must be an https:// address when RENDA_ENV=production")
            if self.oidc_issuer and not self.oidc_issuer.startswith("https://"):
                raise ValueError("RENDA_OIDC_ISSUER must be an https:// address when RENDA_ENV=production")
