"""Every services unit test gets a fresh in-memory estate (see support.py)."""

from __future__ import annotations

import gc

import pytest

from tests.unit.services.support import World, build_world

# By the time these tests run, the plugins and the root conftest have loaded ~175k objects
# (hypothesis, schemathesis, FastAPI, SQLAlchemy) that live as long as the process. One full
# garbage collection over them costs more than this whole folder's tests; frozen, the
# collector skips them.
gc.freeze()


@pytest.fixture
async def world() -> World:
    return await build_world()
