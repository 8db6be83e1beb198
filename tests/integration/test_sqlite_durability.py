"""Issue #12 item 10: an acknowledged SQLite write survives a (simulated) power loss.

A process kill loses nothing with WAL whatever `synchronous` says, because the operating system
still writes its cache out. A power loss loses the cache: only bytes that were flushed with
fsync/fdatasync before the cut are on the disk. We simulate exactly that. A child process
commits a row through dpi's own engine and then acknowledges it; strace records every write
and flush it makes; the "disk after the power loss" is rebuilt from the writes that were
flushed before the acknowledgement (a worst case: the cache lost everything else), and SQLite
opens that image. With `synchronous=NORMAL` the WAL is not flushed at commit and the row is
gone; with FULL (our default) it is there.

Not modelled: the directory entries of new files (the test's files exist before the cut on
any file system that journals metadata) and disks that lie about flushing.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from dpi_server.adapters.db.engine import create_engine
from dpi_server.config import Settings

MARKER = b"ACKNOWLEDGED"

_CHILD = """
import asyncio, os, sys
from sqlalchemy import text
from dpi_server.adapters.db.engine import create_engine

async def main() -> None:
    engine = create_engine("sqlite+aiosqlite:///" + sys.argv[1], synchronous=sys.argv[2])
    async with engine.connect() as conn:
        await conn.exec_driver_sql("CREATE TABLE booking (patient TEXT)")
        await conn.commit()
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO booking VALUES ('Jan')"))
        await conn.commit()
    os.write(1, b"ACKNOWLEDGED")  # the answer a client would get now
    os._exit(0)  # the power goes: nothing after this point counts

asyncio.run(main())
"""

_OPEN = re.compile(r'^\d+ +openat\(AT_FDCWD, "((?:\\x[0-9a-f]{2})*)", [^)]*\) = (\d+)')
_CLOSE = re.compile(r"^\d+ +close\((\d+)\)")
_PWRITE = re.compile(r'^\d+ +pwrite64\((\d+), "((?:\\x[0-9a-f]{2})*)", (\d+), (\d+)')
_FLUSH = re.compile(r"^\d+ +f(?:data)?sync\((\d+)")
_WRITE = re.compile(r'^\d+ +write\(1, "((?:\\x[0-9a-f]{2})*)"')


def _strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed; the power-loss simulation needs it")
    probe = subprocess.run([path, "-o", "/dev/null", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.decode(errors='replace')}")
    return path


def _unhex(escaped: str) -> bytes:
    """strace -xx prints every byte as \\xHH."""
    return bytes.fromhex(escaped.replace("\\x", ""))


def _disk_after_power_loss(trace: str, database: Path) -> dict[str, bytearray]:
    """File contents made only of writes flushed before the acknowledgement."""
    names: dict[int, str] = {}
    pending: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    disk: dict[str, bytearray] = defaultdict(bytearray)
    wanted = {str(database), f"{database}-wal"}
    for line in trace.splitlines():
        if (opened := _OPEN.match(line)) and _unhex(opened[1]).decode() in wanted:
            names[int(opened[2])] = _unhex(opened[1]).decode()
        elif closed := _CLOSE.match(line):
            names.pop(int(closed[1]), None)
        elif (written := _PWRITE.match(line)) and int(written[1]) in names:
            data = _unhex(written[2])
            assert len(data) == int(written[3]), "strace truncated a write; raise -s"
            pending[names[int(written[1])]].append((int(written[4]), data))
        elif (flushed := _FLUSH.match(line)) and int(flushed[1]) in names:
            name = names[int(flushed[1])]
            for offset, data in pending.pop(name, []):
                image = disk[name]
                if len(image) < offset + len(data):
                    image.extend(b"\0" * (offset + len(data) - len(image)))
                image[offset : offset + len(data)] = data
        elif (out := _WRITE.match(line)) and MARKER in _unhex(out[1]):
            return disk
    raise AssertionError("the child never acknowledged its write")


def _survivors(tmp_path: Path, synchronous: str) -> list[tuple[str]]:
    strace = _strace()
    database = tmp_path / "live" / "dpi.sqlite3"
    database.parent.mkdir()
    log = tmp_path / "trace.log"
    subprocess.run(
        [
            strace,
            "-f",
            "-xx",
            "-s",
            "10000000",
            "-e",
            "trace=openat,close,pwrite64,fsync,fdatasync,write",
            "-o",
            str(log),
            sys.executable,
            "-c",
            _CHILD,
            str(database),
            synchronous,
        ],
        check=True,
        capture_output=True,
    )
    disk = _disk_after_power_loss(log.read_text(), database)
    rebuilt = tmp_path / "after-power-loss" / "dpi.sqlite3"
    rebuilt.parent.mkdir()
    rebuilt.write_bytes(bytes(disk.get(str(database), b"")))
    wal = disk.get(f"{database}-wal")
    if wal:
        Path(f"{rebuilt}-wal").write_bytes(bytes(wal))
    connection = sqlite3.connect(rebuilt)
    try:
        return connection.execute("SELECT patient FROM booking").fetchall()
    except sqlite3.DatabaseError:  # no table at all: the whole history was lost
        return []
    finally:
        connection.close()


@pytest.mark.slow
class TestPowerLoss:
    def test_full_keeps_an_acknowledged_write(self, tmp_path: Path) -> None:
        assert _survivors(tmp_path, "FULL") == [("Jan",)]

    def test_normal_would_lose_it(self, tmp_path: Path) -> None:
        """The reason FULL is the default: the simulation does catch a lost write."""
        assert _survivors(tmp_path, "NORMAL") == []


class TestSynchronousSetting:
    async def test_full_is_the_default(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path)
        assert settings.sqlite_synchronous == "FULL"
        engine = create_engine(settings.effective_database_url)
        try:
            async with engine.connect() as conn:
                level = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
        finally:
            await engine.dispose()
        assert level == 2  # FULL

    async def test_it_is_configurable(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DPI_SQLITE_SYNCHRONOUS", "normal")
        settings = Settings(data_dir=tmp_path)
        engine = create_engine(
            settings.effective_database_url, synchronous=settings.sqlite_synchronous
        )
        try:
            async with engine.connect() as conn:
                level = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
        finally:
            await engine.dispose()
        assert level == 1  # NORMAL
