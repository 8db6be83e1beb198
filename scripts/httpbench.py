"""HTTP benchmark of the real `dpi serve` against a bare ASGI app and Prism (issue #8).

Run it as `scripts/bench_http [--duration 5] [--postgres URL] [--no-prism]`. In one run it:

1. starts `dpi serve` (plain HTTP, SQLite in a temporary data dir, statement counting on),
   disables the demo client's rate limits, publishes availability and books 500 visits;
2. starts a bare ASGI app (uvicorn, same options) serving the very bodies dpi answered, and
   Prism mocking the same operations from our own `docs/openapi.json`;
3. runs `wrk` against each target (loopback only, bounded in time) and prints one table with
   req/s, p50, p99, SQL statements and transactions per request (dpi's `X-Dpi-Statements`
   headers), and the ratios dpi/bare and dpi/Prism;
4. repeats the dpi rows on PostgreSQL when a server URL is given (or DPI_TEST_POSTGRES_URL
   is set), and with `--workers 2` when `dpi serve` has that flag.

The machine is shared and noisy: compare ratios measured in the same run, not absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
API = "/api/v3/integration"
WARSAW = ZoneInfo("Europe/Warsaw")


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"port {port} never opened:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running(
    argv: list[str],
    port: int,
    env: dict[str, str] | None = None,
    timeout: float = 90,
    ready: tuple[str, int] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait for its port (and for `ready`: a log line that must appear
    so many times, e.g. once per worker, since a supervisor's socket listens before its
    workers accept), and always stop it (by its own process group)."""
    fd, name = tempfile.mkstemp(prefix="dpi-bench-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as sink:
        process = subprocess.Popen(
            argv,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
            cwd=ROOT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process, log, timeout)
        if ready is not None:
            marker, times = ready
            deadline = time.monotonic() + timeout
            while log.read_text(errors="replace").count(marker) < times:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"not ready:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            # The whole session: `--workers` children and Prism's node process die with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
                process.wait()
        log.unlink(missing_ok=True)


def dpi(*args: str) -> list[str]:
    return [PYTHON, "-m", "dpi_server.cli", *args]


# --- wrk --------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int  # non-2xx/3xx answers and socket errors
    seconds: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str],
    script: str | None = None,
) -> Load:
    """One `wrk -t1` run; `script` is Lua that may define `request()`."""
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    try:
        if script:
            argv += ["-s", lua.name]
        out = subprocess.run(
            [*argv, url], capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
    finally:
        os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\n\s+50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\n\s+99%\s+(\S+)", out)[1])  # type: ignore[index]
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    assert done is not None, out
    elapsed = float(done[2]) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done[3]]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = (int(bad[1]) if bad else 0) + (sum(int(g) for g in errors.groups()) if errors else 0)
    return Load(rps, p50, p99, int(done[1]), failures, elapsed)


# --- the demo estate through the API ----------------------------------------------------------


@dataclass
class Estate:
    base: str
    token: str
    one_day: str  # address path: one day, 24 slots of 30 minutes
    quarter: str  # address path: 77 days of a 10-minute grid, 500 bookings
    booking: str  # address path: 77 days of a 10-minute grid, booked by the bookSlot run
    services: dict[str, str]  # address path -> its address service id
    day: date  # the first published day (tomorrow in Warsaw)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def slots_url(self, path: str, days: int) -> str:
        start = datetime(self.day.year, self.day.month, self.day.day, tzinfo=WARSAW)
        end = start + timedelta(days=days)
        return (
            f"{self.base}{path}/slots?start={quote(start.isoformat(), safe='')}"
            f"&end={quote(end.isoformat(), safe='')}"
        )


def token_for(base: str, creds: dict[str, Any]) -> str:
    response = httpx.post(
        f"{base}/oauth/v2/token",
        auth=(creds["client_id"], creds["client_secret"]),
        data={"grant_type": "client_credentials", "scope": "integration"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def periods(day: date, days: int, begin: int, end: int, service: str, duration: int) -> Any:
    slots = []
    for offset in range(days):
        d = day + timedelta(days=offset)
        start = datetime(d.year, d.month, d.day, begin, tzinfo=WARSAW)
        stop = datetime(d.year, d.month, d.day, end, tzinfo=WARSAW)
        slots.append(
            {
                "start": start.isoformat(),
                "end": stop.isoformat(),
                "address_services": [{"address_service_id": service, "duration": duration}],
            }
        )
    return {"slots": slots}


def grid_starts(day: date, days: int, begin: int, end: int, step: int) -> list[str]:
    found = []
    for offset in range(days):
        d = day + timedelta(days=offset)
        at = datetime(d.year, d.month, d.day, begin, tzinfo=WARSAW)
        stop = datetime(d.year, d.month, d.day, end, tzinfo=WARSAW)
        while at < stop:
            found.append(at.isoformat())
            at += timedelta(minutes=step)
    return found


def book_body(service: str, duration: int) -> dict[str, Any]:
    return {
        "address_service_id": service,
        "duration": duration,
        "patient": {"name": "Bench", "surname": "Mark", "phone": "+48500500500"},
    }


def prepare(base: str, creds: dict[str, Any]) -> Estate:
    token = token_for(base, creds)
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=120) as http:
        paths: list[str] = []
        for facility in http.get(f"{API}/facilities").json()["_items"]:
            f = facility["id"]
            for doctor in http.get(f"{API}/facilities/{f}/doctors").json()["_items"]:
                d = doctor["id"]
                for address in http.get(f"{API}/facilities/{f}/doctors/{d}/addresses").json()[
                    "_items"
                ]:
                    paths.append(f"{API}/facilities/{f}/doctors/{d}/addresses/{address['id']}")
        chosen: list[str] = []
        services: dict[str, str] = {}
        for path in paths:
            if len(chosen) == 3:
                break
            if http.post(f"{path}/calendar/enable").status_code not in (200, 409):
                continue
            items = http.get(f"{path}/services").json()["_items"]
            if items:
                chosen.append(path)
                services[path] = str(items[0]["id"])
        if len(chosen) < 3:
            raise RuntimeError("the demo estate has fewer than 3 bookable addresses")
        one_day, quarter, booking = chosen
        day = (datetime.now(WARSAW) + timedelta(days=1)).date()
        for path, payload in (
            (one_day, periods(day, 1, 8, 20, services[one_day], 30)),
            (quarter, periods(day, 77, 8, 16, services[quarter], 10)),
            (booking, periods(day, 77, 8, 16, services[booking], 10)),
        ):
            response = http.put(f"{path}/slots", json=payload)
            if response.status_code != 201:
                raise RuntimeError(f"replaceSlots failed: {response.status_code} {response.text}")
    estate = Estate(base, token, one_day, quarter, booking, services, day)
    asyncio.run(book_many(estate, quarter, 500))
    return estate


async def book_many(estate: Estate, path: str, count: int) -> None:
    """`count` bookings spread evenly over the 77-day grid, 8 at a time."""
    starts = grid_starts(estate.day, 77, 8, 16, 10)
    stride = len(starts) // count
    wanted = starts[::stride][:count]
    body = book_body(estate.services[path], 10)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=estate.base, headers=estate.headers, timeout=120) as http:

        async def one(start: str) -> None:
            async with limit:
                response = await http.post(f"{path}/slots/{quote(start, safe='')}/book", json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"bookSlot failed: {response.status_code} {response.text}")

        await asyncio.gather(*(one(s) for s in wanted))


def booking_script(estate: Estate, path: str) -> str:
    """Lua for wrk: each request books the next free slot of the 77-day grid."""
    starts = grid_starts(estate.day, 77, 8, 16, 10)
    listed = ",".join(f'"{quote(s, safe="")}"' for s in starts)
    body = json.dumps(book_body(estate.services[path], 10))
    body = body.replace("\\", "\\\\").replace('"', '\\"')
    return f"""
local starts = {{{listed}}}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "{body}"
request = function()
  i = i + 1
  return wrk.format(nil, "{path}/slots/" .. starts[((i - 1) % #starts) + 1] .. "/book")
end
"""


def counts(url: str, headers: dict[str, str], method: str = "GET", json_body: Any = None) -> str:
    """Statements/transactions of one request, from dpi's diagnostic headers. GETs are sampled
    five times and the smallest count kept: once every half second a request also re-reads
    the cache generation (one more statement), which is not what the answer itself needs."""
    seen = []
    for _ in range(5 if method == "GET" else 1):
        response = httpx.request(method, url, headers=headers, json=json_body, timeout=120)
        statements = response.headers.get("x-dpi-statements")
        transactions = response.headers.get("x-dpi-transactions")
        if statements is None or transactions is None:
            return "-"
        seen.append((int(statements), int(transactions)))
    statements_n, transactions_n = min(seen)
    return f"{statements_n} in {transactions_n} tx"


@dataclass
class Row:
    case: str
    target: str
    connections: int
    load: Load
    sql: str = ""
    note: str = ""


def serve_args(data_dir: Path, port: int, database_url: str | None, workers: int) -> list[str]:
    argv = dpi("serve", "--data-dir", str(data_dir), "--port", str(port), "--insecure-http")
    argv += ["--http-port", "0"]
    if database_url:
        argv += ["--database-url", database_url]
    if workers > 1:
        argv += ["--workers", str(workers)]
    return argv


# No access log, like the bare app: the table compares what each does per request.
DPI_ENV = {"DPI_COUNT_STATEMENTS": "1", "DPI_SEED_DEMO": "true", "DPI_ACCESS_LOG": "false"}
READY = "Application startup complete"


def start_dpi(
    stack: contextlib.ExitStack, data_dir: Path, database_url: str | None, workers: int = 1
) -> str:
    """Start `dpi serve` inside `stack`; returns its base URL once every worker is up."""
    port = free_port()
    argv = serve_args(data_dir, port, database_url, workers)
    stack.enter_context(running(argv, port, DPI_ENV, ready=(READY, workers)))
    return f"http://127.0.0.1:{port}"


def first_run(base: str, data_dir: Path, database_url: str | None) -> Estate:
    """Disable the demo client's rate limits (by the operator command, in its own process)
    and publish the calendars the benchmark reads."""
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    command = dpi("client", "limits", creds["client_id"], "--disable", "--data-dir", str(data_dir))
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    time.sleep(1.5)  # the server's cache follows within a second
    return prepare(base, creds)


@dataclass
class Target:
    label: str
    base: str
    kind: str  # "dpi", "bare" or "prism"
    estate: Estate  # the estate whose paths its URLs name


CASES = [("GET /facilities", 32), ("getSlots 1 day", 32), ("getSlots 77 days", 4)]


def case_url(case: str, target: Target) -> str | None:
    e = target.estate
    if case == "GET /facilities":
        return f"{target.base}{API}/facilities"
    if target.label.endswith("--workers 2"):
        return None  # the worker rows compare GET /facilities only
    path, days = (e.one_day, 1) if case == "getSlots 1 day" else (e.quarter, 77)
    if target.kind == "bare":
        return f"{target.base}{path}/slots"
    if target.kind == "prism" and days == 77:
        return None
    return e.slots_url(path, days).replace(e.base, target.base)


def interleaved(targets: list[Target], seconds: float, rounds: int, rows: list[Row]) -> None:
    """Each case against every target in turn, `rounds` times; the median round is kept, so
    that load from elsewhere on the machine hits all targets alike."""
    for case, conns in CASES:
        runs: dict[str, list[Load]] = {}
        chosen = [(t, url) for t in targets if (url := case_url(case, t)) is not None]
        for target, url in chosen:
            wrk(url, connections=conns, seconds=1, headers=target.estate.headers)  # warm-up
        for _ in range(rounds):
            for target, url in chosen:
                load = wrk(url, connections=conns, seconds=seconds, headers=target.estate.headers)
                runs.setdefault(target.label, []).append(load)
        for target, url in chosen:
            ordered = sorted(runs[target.label], key=lambda load: load.rps)
            sql = counts(url, target.estate.headers) if target.kind == "dpi" else ""
            rows.append(Row(case, target.label, conns, ordered[len(ordered) // 2], sql))


def booking_row(label: str, estate: Estate, seconds: float) -> Row:
    script = booking_script(estate, estate.booking)
    load = wrk(f"{estate.base}/", connections=32, seconds=seconds, headers=estate.headers,
               script=script)  # fmt: skip
    booked = load.requests - load.failures
    rate = Load(booked / load.seconds, load.p50_ms, load.p99_ms, load.requests, load.failures,
                load.seconds)  # fmt: skip
    note = f"{booked} booked, {load.failures} refused"
    return Row("bookSlot", label, 32, rate, counts_of_booking(estate), note)


def counts_of_booking(estate: Estate) -> str:
    """One more booking, on a day the wrk run cannot have reached (the grid's last slot)."""
    last = grid_starts(estate.day, 77, 8, 16, 10)[-1]
    url = f"{estate.base}{estate.booking}/slots/{quote(last, safe='')}/book"
    return counts(url, estate.headers, "POST", book_body(estate.services[estate.booking], 10))


def stall_row(label: str, estate: Estate, seconds: float) -> Row:
    """GET /facilities at 4 connections while a maximal replaceSlots runs."""
    day = estate.day
    first = datetime(day.year, day.month, day.day, tzinfo=WARSAW).astimezone(UTC)
    service = int(estate.services[estate.one_day])
    # One-minute periods, one per minute, in the tersest accepted form (UTC `Z`, numeric ids):
    # as many as replaceSlots accepts in one request (10,000).
    slots = [
        {
            "start": (first + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (first + timedelta(minutes=m + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "address_services": [{"address_service_id": service, "duration": 1}],
        }
        for m in range(10_000)
    ]
    payload = json.dumps({"slots": slots}, separators=(",", ":")).encode()
    took: list[tuple[float, int]] = []

    def put() -> None:
        begun = time.perf_counter()
        response = httpx.put(
            f"{estate.base}{estate.one_day}/slots",
            content=payload,
            headers={**estate.headers, "Content-Type": "application/json"},
            timeout=300,
        )
        took.append((time.perf_counter() - begun, response.status_code))

    worker = threading.Thread(target=put)
    worker.start()
    time.sleep(0.2)
    load = wrk(
        f"{estate.base}{API}/facilities", connections=4, seconds=seconds, headers=estate.headers
    )
    worker.join()
    seconds_taken, status = took[0]
    note = f"{len(slots)} periods, {len(payload) // 1024} KiB: {status} in {seconds_taken:.1f} s"
    return Row("GET /facilities during a maximal PUT /slots", label, 4, load, "", note)


def find_prism() -> str | None:
    return shutil.which("prism") or next(
        (str(p) for p in [ROOT / "node_modules/.bin/prism"] if p.exists()), None
    )


def create_postgres_database(server_url: str) -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"dpi_bench_{uuid.uuid4().hex[:8]}"

    async def run(statement: str) -> None:
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def drop_postgres_database(server_url: str, name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    asyncio.run(run())


def has_workers_flag() -> bool:
    out = subprocess.run(dpi("serve", "--help"), capture_output=True, text=True, cwd=ROOT).stdout
    return "--workers" in out


def render(rows: list[Row]) -> str:
    def ref(case: str, target: str) -> Row | None:
        return next((r for r in rows if r.case == case and r.target == target), None)

    lines = [
        "| case | server | conns | req/s | p50 ms | p99 ms | SQL per request | dpi/bare | dpi/Prism"
        " | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratios = []
        for target in ("bare ASGI", "Prism"):
            other = ref(row.case, target)
            if row.target.startswith("dpi") and other is not None and other.load.rps:
                factor = row.load.rps / other.load.rps
                ratios.append(f"{factor:.0%}" if target == "bare ASGI" else f"{factor:.2f}x")
            else:
                ratios.append("")
        note = row.note
        if row.load.failures and not note:
            note = f"{row.load.failures} failed"
        lines.append(
            f"| {row.case} | {row.target} | {row.connections} | {row.load.rps:,.0f} | "
            f"{row.load.p50_ms:.1f} | {row.load.p99_ms:.1f} | {row.sql} | {ratios[0]} | "
            f"{ratios[1]} | {note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per target")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DPI_BENCH_POSTGRES_URL") or os.environ.get("DPI_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (a scratch database is created and dropped) [DPI_BENCH_POSTGRES_URL]",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--no-workers", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_http: wrk is missing (apt-get install wrk)")
    seconds = args.duration
    rows: list[Row] = []
    workers = not args.no_workers and has_workers_flag()
    with tempfile.TemporaryDirectory(prefix="dpi-bench-") as tmp, contextlib.ExitStack() as stack:
        say("dpi on SQLite: seeding, publishing calendars, booking 500 visits ...")
        sqlite_dir = Path(tmp) / "sqlite"
        base = start_dpi(stack, sqlite_dir, None)
        estate = first_run(base, sqlite_dir, None)
        targets = [Target("dpi SQLite", base, "dpi", estate)]
        if workers:
            base = start_dpi(stack, sqlite_dir, None, workers=2)
            targets.append(Target("dpi SQLite --workers 2", base, "dpi", estate))
        pg: Estate | None = None
        if args.postgres and not args.no_postgres:
            say("dpi on PostgreSQL ...")
            url, name = create_postgres_database(args.postgres)
            stack.callback(drop_postgres_database, args.postgres, name)
            pg_dir = Path(tmp) / "pg"
            base = start_dpi(stack, pg_dir, url)
            pg = first_run(base, pg_dir, url)
            targets.append(Target("dpi PostgreSQL", base, "dpi", pg))
            if workers:
                base = start_dpi(stack, pg_dir, url, workers=2)
                targets.append(Target("dpi PostgreSQL --workers 2", base, "dpi", pg))

        say("bare ASGI and Prism ...")
        bodies = {
            path: httpx.get(url, headers=estate.headers).text
            for path, url in (
                (f"{API}/facilities", f"{estate.base}{API}/facilities"),
                (f"{estate.one_day}/slots", estate.slots_url(estate.one_day, 1)),
                (f"{estate.quarter}/slots", estate.slots_url(estate.quarter, 77)),
            )
        }
        bodies_file = Path(tmp) / "bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        port = free_port()
        uvicorn = [PYTHON, "-m", "uvicorn", "--app-dir", str(ROOT / "scripts"), "bare_asgi:app",
                   "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
        stack.enter_context(running(uvicorn, port, {"DPI_BARE_BODIES": str(bodies_file)}))
        targets.append(Target("bare ASGI", f"http://127.0.0.1:{port}", "bare", estate))
        prism = find_prism()
        if prism and not args.no_prism:
            port = free_port()
            argv = [prism, "mock", "-h", "127.0.0.1", "-p", str(port),
                    str(ROOT / "docs/openapi.json")]  # fmt: skip
            stack.enter_context(running(argv, port))
            targets.append(Target("Prism", f"http://127.0.0.1:{port}", "prism", estate))
        elif not args.no_prism:
            say("Prism not found (npm install -g @stoplight/prism-cli): no Prism rows")

        say(f"measuring: {args.rounds} interleaved rounds of {seconds:g} s per target and case")
        interleaved(targets, seconds, args.rounds, rows)
        say("bookSlot and the maximal replaceSlots ...")
        for target in targets:
            if target.kind == "dpi" and not target.label.endswith("--workers 2"):
                rows.append(booking_row(target.label, target.estate, seconds * args.rounds))
                rows.append(stall_row(target.label, target.estate, seconds * args.rounds))

    order = {case: i for i, case in enumerate(dict.fromkeys(r.case for r in rows))}
    rows.sort(key=lambda r: order[r.case])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"wrk -t1, median of {args.rounds} interleaved {seconds:g}-second runs, "
        f"{os.cpu_count()} cores (load average {load}), one process unless noted, access logs off"
    )
    print(render(rows))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
