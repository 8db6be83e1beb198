"""The SDK's public surface: curated `__all__`, documentation, the operation table against the
server's OpenAPI document, the generated sync client, and a base install without the server
(STYLE.md §10, issue #11 acceptance)."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import dpi
from dpi._operations import API_PREFIX, OPERATIONS, TOKEN_OPERATION
from dpi_server.api.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic", "typer", "dpi_server")


def test_all_is_complete() -> None:
    """`__all__` lists exactly the public names of `dpi`, once each (httpx's
    test_exported_members); ruff's RUF022 keeps it sorted."""
    public = {name for name in vars(dpi) if not name.startswith("_")} | {"__version__"}
    public -= {"annotations"}

    assert len(dpi.__all__) == len(set(dpi.__all__))
    assert set(dpi.__all__) == public


def test_every_public_name_is_documented() -> None:
    """Every exported class and function, and every public method of the clients'
    resources, has a docstring (STYLE.md "Docstring density")."""
    undocumented = []
    for name in dpi.__all__:
        value = getattr(dpi, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            if not inspect.getdoc(value):
                undocumented.append(name)
            if inspect.isclass(value) and value.__module__.startswith(
                ("dpi._client", "dpi._resources")
            ):
                undocumented += [
                    f"{name}.{attr}"
                    for attr, member in vars(value).items()
                    if not attr.startswith("_") and callable(member) and not member.__doc__
                ]

    assert undocumented == []


def test_py_typed_ships() -> None:
    """The package is marked typed (PEP 561)."""
    assert (Path(dpi.__file__).parent / "py.typed").exists()


def _resolve(client: object, dotted: str) -> object:
    target = client
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def test_every_openapi_operation_has_an_sdk_method() -> None:
    """Each operation of docs' OpenAPI (the app's) is in the SDK's table with the same method
    and path, and both clients have its method; fails on a missing one. The sandbox's routes
    (`/_sandbox/`, dpi's own) are not the Docplanner API the SDK speaks."""
    sdk_by_route = {(op.method, API_PREFIX + op.path): op for op in OPERATIONS.values()}
    sdk_by_route[(TOKEN_OPERATION.method, TOKEN_OPERATION.path)] = TOKEN_OPERATION
    sync = dpi.Client("id", "secret", base_url="https://dp.test")
    asynchronous = dpi.AsyncClient("id", "secret", base_url="https://dp.test")
    missing = []

    for path, methods in openapi_document()["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/_sandbox/"):
                continue
            op = sdk_by_route.get((method.upper(), path))
            if op is None or operation["operationId"] not in (op.operation_id, *op.aliases):
                missing.append(f"{method.upper()} {path} ({operation['operationId']})")
                continue
            assert callable(_resolve(sync, op.method_name))
            assert inspect.iscoroutinefunction(_resolve(asynchronous, op.method_name))

    assert missing == []


def test_the_sdk_tests_call_every_operation() -> None:
    """Every SDK method of the operation table is called somewhere in tests/sdk (issue #11
    acceptance: every endpoint at least once)."""
    sources = "".join(path.read_text() for path in (ROOT / "tests" / "sdk").glob("test_*.py"))

    uncalled = [
        op.method_name for op in OPERATIONS.values() if f".{op.method_name}(" not in sources
    ]

    assert uncalled == []


def test_the_table_covers_the_spec() -> None:
    """The table holds the 43 endpoints of behaviour.md §7.2 (the outbound push excepted)."""
    assert len(OPERATIONS) == 43


def test_sync_client_is_generated_from_the_async_one() -> None:
    """`_client_sync.py` and every module of `_resources_sync/` are what scripts/sync_sdk.py
    writes from `_client_async.py` and `_resources/` (no stale module left over)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_sdk.py"), "--check"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_dpi_loads_no_server_dependency() -> None:
    """`import dpi` (and using a client) never imports FastAPI, SQLAlchemy, uvicorn or
    dpi_server, even where they are installed."""
    code = (
        "import sys, dpi; dpi.Client('i', 's', base_url='https://x');"
        f"loaded = [m for m in {SERVER_ONLY!r} if m in sys.modules]; print(loaded)"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_base_install_in_a_fresh_venv(tmp_path: Path) -> None:
    """`pip install .` with no extras, in a fresh venv, gives a working `import dpi` without
    FastAPI, SQLAlchemy or uvicorn installed (issue #11 acceptance)."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, env=env, timeout=600
    )
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u, dpi; print(dpi.__version__, dpi.Client.__name__,"
            f" [m for m in {SERVER_ONLY[:-1]!r} if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )

    assert probe.stdout.split() == [dpi.__version__, "Client", "[]"]


def test_server_dependencies_are_present_here() -> None:
    """(Guard: the probe above is meaningful only if this environment has them.)"""
    assert importlib.util.find_spec("fastapi") is not None
