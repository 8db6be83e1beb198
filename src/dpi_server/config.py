"""Settings: one pydantic-settings object read from `DPI_*` variables. Never built at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, computed_field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dpi_server.domain.locales import LOCALES
from dpi_server.domain.notifications import RetrySchedule


class Settings(BaseSettings):
    """Everything a deployment can change. Each field is also a `DPI_<NAME>` variable."""

    model_config = SettingsConfigDict(env_prefix="DPI_", extra="ignore")

    data_dir: Path = Path(".dpi")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default: SQLite file under the data dir",
    )
    redis_url: str | None = Field(default=None, description="shared rate-limit windows")
    redis_prefix: str = Field(default="dpi:rl:", description="namespace of our Redis keys")
    rate_limit_store: Literal["auto", "memory", "database", "redis"] = Field(
        default="auto",
        description="where rate-limit windows live; auto: redis if configured, else database "
        "with --workers > 1, else memory",
    )
    workers: int = Field(default=1, ge=1, le=64, description="API processes on one port")
    access_log: bool = Field(default=True, description="uvicorn's per-request access log")

    host: str = "127.0.0.1"
    port: int = 8443
    http_port: int | None = Field(
        default=8080, description="plain-HTTP port that only redirects to HTTPS"
    )
    insecure_http: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    public_https_port: int | None = Field(
        default=None, description="port named in HTTPS redirects (default: --port)"
    )
    public_host: str | None = Field(
        default=None,
        description="host named in redirects and absolute URLs when a request's Host is unknown",
    )
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"

    default_locale: str = "pl"
    token_lifetime_seconds: int = Field(default=86400, ge=60)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # The request head (request line and headers) and its number of header lines; 431 over it.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=10)
    # FULL fsyncs the WAL on each commit: an acknowledged write survives a power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "FULL"
    seed_demo: bool = True
    # Also accepted as the sandbox's operator token, besides the ones stored in the database
    # (`dpi serve` stores the demo-credentials.json one on first run).
    operator_token: str | None = Field(default=None, repr=False)
    # The sandbox's request journal, per process: entries kept per client, body bytes kept.
    journal_size: int = Field(default=500, ge=1, le=100_000)
    journal_body_bytes: int = Field(default=4096, ge=0, le=1024 * 1024)
    sql_echo: bool = False
    sqlite_inline: bool = Field(
        default=True,
        description="run SQLite statements on the event loop (adapters/db/sqlite_inline.py)",
    )
    count_statements: bool = Field(
        default=False,
        description="add X-Dpi-Statements/X-Dpi-Transactions headers (benchmarks only)",
    )

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    # Notifications (README "Notifications").
    notify_retry_minutes: str = Field(
        default="5,10", description="push retries, minutes after the first attempt (e.g. 1,5,15)"
    )
    notify_push_timeout_seconds: float = Field(default=10.0, gt=0)
    notify_realtime_timeout_seconds: float = Field(default=5.0, gt=0)
    notify_concurrency: int = Field(default=16, ge=1, description="outbound calls in flight")
    notify_batch_size: int = Field(default=200, ge=1, description="copies claimed at once")
    notify_lease_margin_seconds: float = Field(
        default=20.0, gt=0, description="a dead worker's claims are taken again this late"
    )
    notify_dispatcher: bool = Field(default=True, description="run the dispatcher in `serve`")
    notify_health_checks: bool = True
    notify_verify_tls: bool = Field(default=True, description="verify vendors' certificates")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.default_locale not in LOCALES:
            raise ValueError(f"unknown default locale {self.default_locale!r}")
        RetrySchedule.parse(self.notify_retry_minutes)
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give both --tls-cert and --tls-key, or neither")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'dpi.sqlite3').resolve()}"

    @property
    def credentials_file(self) -> Path:
        """Where `dpi serve` writes the demo client's and the operator's credentials (the
        home page names it, since the secret itself is not stored)."""
        return self.data_dir / "demo-credentials.json"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effective_public_host(self) -> str:
        """`--public-host`, else the bind address (loopback for a wildcard bind)."""
        if self.public_host:
            return self.public_host
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    @computed_field  # type: ignore[prop-decorator]
    @property
    def https_port(self) -> int:
        return self.public_https_port or self.port
