"""The SDK's API reference builds with pdoc, warning-free, and covers the public surface
(issue #11 §8). Build it by hand with `.venv/bin/pdoc dpi -o site/sdk`."""

from __future__ import annotations

from pathlib import Path

import pdoc

import dpi


def test_api_reference_builds(tmp_path: Path) -> None:
    """pdoc renders `dpi` (warnings are errors under pytest's filterwarnings) with every name
    of `__all__` and the exception tree."""
    pdoc.pdoc("dpi", output_directory=tmp_path)

    page = (tmp_path / "dpi.html").read_text()
    missing = [name for name in dpi.__all__ if f'id="{name}"' not in page]
    assert missing == []
    assert "├── AuthenticationError" in page  # the tree, on DpiError
