"""Owner-only permissions for the data directory and the files in it (issue #12, item 6).

The SQLite database holds patient names, phones, e-mails, NINs and birth dates, and the
credentials file holds secrets: nobody but the account running dpi should read them. SQLite
gives its `-wal` and `-shm` files the mode of the database file, so creating the database
0600 before SQLite opens it is what keeps those private too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("dpi.files")

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _tighten(path: Path, wanted: int) -> None:
    """chmod `path` to `wanted` if it grants more, warning about what it was."""
    try:
        current = _mode(path)
    except FileNotFoundError:
        return
    if current & ~wanted:
        log.warning(
            "%s was readable by others (mode %04o); restricting it to %04o", path, current, wanted
        )
        path.chmod(wanted)


def private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """Create `path` (and parents) if missing, 0700; restrict an existing one to 0700.

    A shared directory (sticky bit, as /tmp has, or owned by another account) is only warned
    about: taking it away from everybody else would break the machine, not protect us.
    """
    if not path.exists():
        path.mkdir(parents=True, mode=DIR_MODE)
        # mkdir's mode is filtered by the umask, which can only remove bits; set it exactly.
        path.chmod(DIR_MODE)
        return path
    if not tighten_existing:
        return path
    info = path.stat()
    shared = info.st_mode & stat.S_ISVTX or (hasattr(os, "getuid") and info.st_uid != os.getuid())
    if shared:
        if stat.S_IMODE(info.st_mode) & ~DIR_MODE:
            log.warning("data directory %s is shared with other accounts; use a private one", path)
        return path
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing; restrict an existing one to 0600."""
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        os.close(fd)
        return path
    _tighten(path, FILE_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, which is never readable by others, not even for a moment."""
    private_file(path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def private_sqlite(database: Path) -> None:
    """The database file exists 0600 before SQLite opens it; leftovers are restricted too."""
    private_file(database)
    for suffix in SQLITE_SUFFIXES[1:]:
        _tighten(database.with_name(database.name + suffix), FILE_MODE)
