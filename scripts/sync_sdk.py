"""Write src/dpi/_client_sync.py from src/dpi/_client_async.py (the one hand-written source).

    python scripts/sync_sdk.py           write the file
    python scripts/sync_sdk.py --check   exit 1 when the file is not what it would write

The output is formatted with ruff (run this with the venv's python). Rules, applied line by
line: `async def` → `def`, `async for`/`async with` → `for`/`with`, `await ` dropped,
`AsyncName` → `Name`, `async_name` → `sync_name`, and the few words below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "dpi" / "_client_async.py"
TARGET = ROOT / "src" / "dpi" / "_client_sync.py"

_WORDS = {
    "aclose": "close",
    "aread": "read",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "an asynchronous client": "a synchronous client",
    "async with dpi.AsyncClient": "with dpi.Client",
    "_client_async.py": "_client_sync.py",
}
_HEADER = (
    '"""`Client` and its resources: written by scripts/sync_sdk.py from `_client_async.py`.\n\n'
    "Do not edit: change `_client_async.py` and run `python scripts/sync_sdk.py`.\n"
    '"""\n'
)


def convert(source: str) -> str:
    """The sync module for the async `source`."""
    body = source.split('"""', 2)[2]  # drop the module docstring; the header replaces it
    out = []
    for line in body.splitlines():
        line = re.sub(r"\basync (def|for|with)\b", r"\1", line)
        line = re.sub(r"\bawait ", "", line)
        for old, new in _WORDS.items():
            line = line.replace(old, new)
        line = re.sub(r"\bAsync([A-Z]\w*)", r"\1", line)
        line = re.sub(r"\basync_(\w+)", r"sync_\1", line)
        out.append(line)
    text = _HEADER + "\n".join(out) + "\n"
    # Dropping `await` shortens lines; the formatter re-joins them as it would by hand.
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format"]):
        text = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(TARGET), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    return text


def main() -> int:
    expected = convert(SOURCE.read_text())
    if "--check" in sys.argv[1:]:
        if not TARGET.exists() or TARGET.read_text() != expected:
            print(f"{TARGET} is stale: run python scripts/sync_sdk.py")
            return 1
        return 0
    TARGET.write_text(expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
