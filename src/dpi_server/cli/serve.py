"""`dpi serve`: migrate, seed a demo estate on first run, and serve the API over HTTPS."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import sys
from pathlib import Path
from typing import Any

import typer
import uvicorn
from rich.panel import Panel
from rich.table import Table

from dpi_server.adapters.private_files import private_dir, private_file, write_private
from dpi_server.adapters.tls import ensure_self_signed, validate_pair
from dpi_server.bootstrap import Container, build, build_app
from dpi_server.cli.common import console, err_console, make_settings
from dpi_server.cli.http_protocol import limited_protocol
from dpi_server.cli.logs import configure_logging
from dpi_server.cli.notifications import dispatcher_beside
from dpi_server.cli.workers import Worker, run_loop, supervise
from dpi_server.config import Settings
from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.locales import LOCALES
from dpi_server.sandbox.seed import is_empty, seed_demo_estate
from dpi_server.services.operator_auth import new_operator_token

log = logging.getLogger("dpi.serve")


def _base_url(settings: Settings) -> str:
    scheme = "http" if settings.insecure_http else "https"
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{settings.port}"


def _tls_pair(settings: Settings, container: Container) -> tuple[Path, Path] | None:
    if settings.insecure_http:
        return None
    if settings.tls_cert is not None and settings.tls_key is not None:
        validate_pair(settings.tls_cert, settings.tls_key)
        return settings.tls_cert, settings.tls_key
    hosts = [loc.host for loc in LOCALES.values()] + [loc.domain for loc in LOCALES.values()]
    if settings.host not in ("0.0.0.0", "::", "127.0.0.1", "localhost"):
        hosts.append(settings.host)
    return ensure_self_signed(settings.data_dir, hosts, container.services.clock.now())


async def _first_run(settings: Settings, container: Container, ca_cert: str | None) -> None:
    """Seed on an empty database and (re)write the credentials file with current URLs.

    Secrets are printed only when they are created; a restart points to the file instead,
    so logs that collect a server's output collect no copies (issue #12, item 4).
    """
    path = settings.credentials_file
    stored: dict[str, Any] = {}
    created = False
    if await is_empty(container.services) and settings.seed_demo:
        estate = await seed_demo_estate(container.services, settings.default_locale)
        # The state `dpi sandbox reset` returns to (services/reset.py).
        await container.services.reset.snapshot(OperatorActor())
        stored = {
            "client_id": estate.client.client.client_id,
            "client_secret": estate.client.client_secret,
            "operator_token": new_operator_token(),
        }
        created = True
    elif path.exists():
        private_file(path)
        stored = json.loads(path.read_text())
    if not stored:
        return
    if stored.get("operator_token"):
        # Idempotent: also brings a data directory from before tokens were stored up to date.
        await container.services.operator_auth.install(str(stored["operator_token"]))
    base = _base_url(settings)
    stored.update(
        token_url=f"{base}/oauth/v2/token",
        api_base_url=f"{base}/api/v3/integration",
        sandbox_url=f"{base}/_sandbox",
        ca_cert=ca_cert,
    )
    ordered = {
        key: stored.get(key)
        for key in (
            "client_id",
            "client_secret",
            "token_url",
            "api_base_url",
            "operator_token",
            "sandbox_url",
            "ca_cert",
        )
    }
    write_private(path, json.dumps(ordered, indent=2) + "\n")
    if created:
        _print_credentials(ordered, path, settings)
    else:
        console.print(
            f"Demo credentials (client secret, operator token) are in {path}; "
            f"API at {ordered['api_base_url']}",
            soft_wrap=True,
        )


def _print_credentials(creds: dict[str, Any], path: Path, settings: Settings) -> None:
    table = Table(show_header=False, box=None)
    for key, value in creds.items():
        table.add_row(f"[bold]{key}[/bold]", str(value))
    console.print(Panel(table, title="dpi demo credentials (shown once)", subtitle=str(path)))
    cacert = f" --cacert {creds['ca_cert']}" if creds.get("ca_cert") else ""
    console.print(
        "Try it (the secret is in the file above; it is not printed again):\n"
        f'  curl{cacert} -u "$CLIENT_ID:$CLIENT_SECRET" '
        f"{creds['token_url']} -d 'grant_type=client_credentials&scope=integration'\n"
        f"  curl{cacert} -H 'Authorization: Bearer <access_token>' "
        f"{creds['api_base_url']}/facilities",
        soft_wrap=True,
    )
    if settings.http_port and not settings.insecure_http:
        console.print(f"Plain HTTP on port {settings.http_port} redirects to HTTPS (308).")


def _absolute(path: Path) -> str:
    return str(path.resolve())


async def _prepare(settings: Settings) -> tuple[Path, Path] | None:
    """What runs once before serving: migrate, the TLS pair, the first-run seed."""
    private_dir(settings.data_dir)
    if settings.host in ("0.0.0.0", "::") and not settings.public_host:
        log.warning(
            "bound to %s without --public-host: redirects and URLs for unknown Host headers "
            "will name 127.0.0.1",
            settings.host,
        )
    container = build(settings)
    try:
        await container.migrate()
        pair = _tls_pair(settings, container)
        await _first_run(settings, container, _absolute(pair[0]) if pair else None)
    finally:
        await container.close()
    return pair


async def _serve(settings: Settings, worker: Worker | None = None) -> None:
    """Serve in this process; a `--workers` child gets its sockets from the supervisor."""
    if worker is not None:
        # A spawned child starts with no logging set up: the same masked handlers as the parent.
        configure_logging()
    pair = await _prepare(settings) if worker is None else worker.tls_pair
    container = build(settings)
    app = build_app(container)
    common: dict[str, Any] = {
        "host": settings.host,
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_level": "info",
        "log_config": None,  # configured in serve() (and per worker), credentials masked
        "access_log": settings.access_log,
        "server_header": False,
        # Limits on the request head and parser errors in our envelope (cli/http_protocol.py).
        "http": limited_protocol(settings.max_header_bytes, settings.max_headers),
        "ws": "none",  # the API has no WebSocket; an Upgrade is served as plain HTTP
    }
    servers = []
    if pair is None and (worker is None or worker.index == 0):
        err_console.print(
            Panel(
                "INSECURE: serving the API over plain HTTP. Tokens and patient data travel "
                "unencrypted. Use this only on a development machine.",
                style="bold red",
            )
        )
    if pair is None:
        servers.append(uvicorn.Server(uvicorn.Config(app, port=settings.port, **common)))
    else:
        cert, key = pair
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    port=settings.port,
                    ssl_certfile=str(cert),
                    ssl_keyfile=str(key),
                    **common,
                )
            )
        )
        if settings.http_port:
            # The same app: HttpsRedirectMiddleware answers every request with a 308.
            servers.append(
                uvicorn.Server(
                    uvicorn.Config(app, port=settings.http_port, lifespan="off", **common)
                )
            )
    try:
        async with contextlib.AsyncExitStack() as stack:
            if settings.notify_dispatcher:
                # Push delivery, retries, expiry and purge beside the API, in one process of
                # however many serve (the leader lease; README "Notifications").
                await stack.enter_async_context(dispatcher_beside(container))
            _settle_interpreter()
            if worker is None:
                await asyncio.gather(*(server.serve() for server in servers))
            else:
                # The supervisor bound the API socket first and the redirect socket second.
                await asyncio.gather(
                    *(
                        s.serve(sockets=[sock])
                        for s, sock in zip(servers, worker.sockets, strict=True)
                    )
                )
    finally:
        await container.close()


SWITCH_INTERVAL_S = 0.001


def _settle_interpreter() -> None:
    """Before the first request: move everything built so far (modules, the app, routes,
    schemas: some 200,000 objects) out of the garbage collector's reach, and hand the GIL
    over more often.

    A full collection walks every tracked object, and with that heap each one stalled the
    event loop for 100-200 ms under load, every few seconds: the p99 of the cheapest read was
    those pauses (issue #8). What is frozen was never going to be freed; what requests create
    afterwards is collected as before.
    """
    gc.collect()
    gc.freeze()
    # The work that leaves the loop (a maximal body's parsing and rows, long slot ranges) is
    # Python in a worker thread, holding the GIL: the loop got it back only every 5 ms (the
    # default interval), once per read and write of each small request. At 1 ms a small
    # read's p99 during a maximal replaceSlots fell from ~60 to ~35 ms, twice as many served.
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def serve(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Data directory [env DPI_DATA_DIR; default ./.dpi]"
    ),
    host: str | None = typer.Option(None, help="Bind address [env DPI_HOST; 127.0.0.1]"),
    port: int | None = typer.Option(None, help="API port, HTTPS [env DPI_PORT; 8443]"),
    http_port: int | None = typer.Option(
        None, help="Plain-HTTP port that redirects to HTTPS; 0 disables [env DPI_HTTP_PORT; 8080]"
    ),
    insecure_http: bool | None = typer.Option(
        None, "--insecure-http", help="Serve the API over plain HTTP [env DPI_INSECURE_HTTP]"
    ),
    database_url: str | None = typer.Option(
        None, help="SQLAlchemy async URL [env DPI_DATABASE_URL; SQLite in the data dir]"
    ),
    redis_url: str | None = typer.Option(
        None, help="Redis for shared rate-limit windows [env DPI_REDIS_URL]"
    ),
    tls_cert: Path | None = typer.Option(None, help="PEM certificate [env DPI_TLS_CERT]"),
    tls_key: Path | None = typer.Option(None, help="PEM private key [env DPI_TLS_KEY]"),
    public_host: str | None = typer.Option(
        None, help="Host named in redirects and URLs for unknown Hosts [env DPI_PUBLIC_HOST]"
    ),
    public_https_port: int | None = typer.Option(
        None, help="Port named in HTTPS redirects [env DPI_PUBLIC_HTTPS_PORT; --port]"
    ),
    proxy_headers: bool | None = typer.Option(
        None, "--proxy-headers", help="Trust X-Forwarded-Proto [env DPI_PROXY_HEADERS]"
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None, help="Proxies trusted for X-Forwarded-* [env DPI_FORWARDED_ALLOW_IPS]"
    ),
    default_locale: str | None = typer.Option(
        None, help="Locale for hosts that name none [env DPI_DEFAULT_LOCALE; pl]"
    ),
    token_lifetime: int | None = typer.Option(
        None, help="Access-token lifetime, seconds [env DPI_TOKEN_LIFETIME_SECONDS; 86400]"
    ),
    workers: int | None = typer.Option(
        None, help="API processes sharing the port(s) [env DPI_WORKERS; 1]"
    ),
) -> None:
    """Run the API. On an empty data dir: migrate, seed a demo estate, print credentials."""
    settings = make_settings(
        data_dir=data_dir,
        host=host,
        port=port,
        http_port=http_port,
        insecure_http=insecure_http,
        database_url=database_url,
        redis_url=redis_url,
        tls_cert=tls_cert,
        tls_key=tls_key,
        public_host=public_host,
        public_https_port=public_https_port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        default_locale=default_locale,
        token_lifetime_seconds=token_lifetime,
        workers=workers,
    )
    configure_logging()
    try:
        if settings.workers > 1:
            supervise(settings, asyncio.run(_prepare(settings)), _serve)
        else:
            run_loop(_serve(settings))
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass
