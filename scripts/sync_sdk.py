"""Write the sync client from the async one (the one hand-written source).

    python scripts/sync_sdk.py           write the sync modules
    python scripts/sync_sdk.py --check   exit 1 when one is not what it would write

Sources and targets: `src/dpi/_client_async.py` → `_client_sync.py`, and every module of
`src/dpi/_resources/` → the same name in `src/dpi/_resources_sync/` (a module there without a
source is stale: `--check` fails on it, writing deletes it). The output is formatted with ruff
(run this with the venv's python). Rules, applied line by line: `async def` → `def`,
`async for`/`async with` → `for`/`with`, `await ` dropped, `AsyncName` → `Name`,
`async_name` → `sync_name`, the async modules' names → the sync ones, and the few words below.
Each module's docstring keeps its first paragraph and says where it came from.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dpi"
CLIENT = ("_client_async.py", "_client_sync.py")
RESOURCES = ("_resources", "_resources_sync")

_WORDS = {
    "aclose": "close",
    "aread": "read",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "an asynchronous client": "a synchronous client",
    "async with dpi.AsyncClient": "with dpi.Client",
    "_client_async": "_client_sync",
    f"dpi.{RESOURCES[0]}.": f"dpi.{RESOURCES[1]}.",
}


def _convert_line(line: str) -> str:
    line = re.sub(r"\basync (def|for|with)\b", r"\1", line)
    line = re.sub(r"\bawait ", "", line)
    for old, new in _WORDS.items():
        line = line.replace(old, new)
    line = re.sub(r"\bAsync([A-Z]\w*)", r"\1", line)
    return re.sub(r"\basync_(\w+)", r"sync_\1", line)


def _header(source: Path, docstring: str) -> str:
    summary = docstring.strip().split("\n\n", 1)[0]
    origin = source.relative_to(PACKAGE).as_posix()
    return (
        f'"""{_convert_line(summary)}\n\n'
        f"Generated from `{origin}` by scripts/sync_sdk.py: edit that file, not this one.\n"
        '"""\n'
    )


def convert(source: Path, target: Path) -> str:
    """The sync module at `target` for the async module at `source`."""
    _, docstring, body = source.read_text().split('"""', 2)
    lines = [_convert_line(line) for line in body.splitlines()]
    text = _header(source, docstring) + "\n".join(lines) + "\n"
    # Dropping `await` shortens lines; the formatter re-joins them as it would by hand. In a
    # sync generator `for x in xs: yield x` is `yield from xs` (async ones have no `yield from`).
    fixes = ["check", "--fix", "--unsafe-fixes", "--select", "I,UP028", "--quiet"]
    for command in (fixes, ["format"]):
        text = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(target), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return text


def pairs() -> dict[Path, Path]:
    """Every async source and the sync module written from it."""
    found = {PACKAGE / CLIENT[0]: PACKAGE / CLIENT[1]}
    for source in sorted((PACKAGE / RESOURCES[0]).glob("*.py")):
        found[source] = PACKAGE / RESOURCES[1] / source.name
    return found


def main() -> int:
    expected = {target: convert(source, target) for source, target in pairs().items()}
    stale = sorted(set((PACKAGE / RESOURCES[1]).glob("*.py")) - set(expected))
    if "--check" in sys.argv[1:]:
        drifted = [t for t, text in expected.items() if not t.exists() or t.read_text() != text]
        for target in [*drifted, *stale]:
            print(f"{target.relative_to(ROOT)} is stale: run python scripts/sync_sdk.py")
        return 1 if drifted or stale else 0
    (PACKAGE / RESOURCES[1]).mkdir(exist_ok=True)
    for target, text in expected.items():
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    for target in stale:
        target.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
