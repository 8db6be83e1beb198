"""The in-memory twin of the sandbox repository (operator credentials)."""

from __future__ import annotations

from datetime import datetime
from weakref import WeakKeyDictionary

from dpi_server.testing.memory_state import InMemoryStore

_TOKENS: WeakKeyDictionary[InMemoryStore, dict[str, datetime]] = WeakKeyDictionary()


class MemorySandboxRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._tokens = _TOKENS.setdefault(store, {})

    async def operator_token_hashes(self) -> list[str]:
        return list(self._tokens)

    async def add_operator_token(self, token_hash: str, at: datetime) -> None:
        self._tokens.setdefault(token_hash, at)
