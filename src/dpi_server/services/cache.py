"""What every authenticated request needs, kept in the process (ARCHITECTURE.md "The hot path").

Two maps: the principal behind a bearer token (by token hash) and a client's estate (by client
key), plus the facilities production clients hold (the sandbox's controls stay off them,
domain/environments.py). All are dropped whole whenever anything they are built from may
have changed:

- **in this process, at once**: the use cases that change clients, estates or tokens call
  `invalidate()` after they commit (ClientAdminService, and any later one that does);
- **in every other process, within `max_age_seconds`** (0.5 s, so well inside the promised
  second): the database keeps a generation counter that triggers on `api_clients`,
  `client_facilities` and `access_tokens` bump in the same transaction as the change
  (migration 0006), so no writer can forget it, whichever process or tool it is. Before
  answering from the cache, a process re-reads the counter if its last read is older than
  `max_age_seconds`, and drops everything when it moved. That one tiny read every half second
  is all the hot path pays; no request is answered from data validated longer ago than that.

Only positive answers are cached: an unknown token is looked up every time, so a token minted
by another process works at once. Expiry is checked against the clock on every request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dpi_server.domain.clients import ApiClient
from dpi_server.domain.directory import Estate
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory


class GenerationReader(Protocol):
    """The shared counter that moves whenever clients, estates or tokens change."""

    async def current(self) -> int: ...


class NoSharedGeneration:
    """For a process that shares its storage with no other (in-memory fakes): never moves."""

    async def current(self) -> int:
        return 0


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """What a token resolved to when it was looked up."""

    client: ApiClient
    expires_at: datetime


class HotPathCache:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        generations: GenerationReader,
        *,
        max_age_seconds: float = 0.5,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._generations = generations
        self._max_age = max_age_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._tokens: dict[str, TokenEntry] = {}
        self._estates: dict[int, Estate] = {}
        self._production: frozenset[int] | None = None
        self._generation: int | None = None
        self._checked_at = float("-inf")
        # Bumped by every local invalidation: a load that began before one must not store
        # what it read, since it may predate the change.
        self._epoch = 0
        self._refresh: asyncio.Future[None] | None = None

    def invalidate(self) -> None:
        """Forget everything now (call after committing a change to clients or estates)."""
        self._epoch += 1
        self._tokens.clear()
        self._estates.clear()
        self._production = None

    async def _fresh(self) -> None:
        """Make sure the shared generation was read less than `max_age_seconds` ago."""
        if self._monotonic() - self._checked_at < self._max_age:
            return
        pending = self._refresh
        if pending is not None and not pending.done():
            # One read per process at a time; the others wait for its outcome.
            await asyncio.shield(pending)
            return
        loop = asyncio.get_running_loop()
        self._refresh = future = loop.create_future()
        try:
            started = self._monotonic()
            generation = await self._generations.current()
            if generation != self._generation:
                self.invalidate()
                self._generation = generation
            self._checked_at = started
            future.set_result(None)
        except BaseException as exc:
            future.set_exception(exc)
            # Nobody may be waiting; retrieving the exception keeps asyncio from logging it.
            future.exception()
            raise

    async def token(self, token_hash: str) -> TokenEntry | None:
        """The cached resolution of a token, or None if it must be looked up."""
        await self._fresh()
        return self._tokens.get(token_hash)

    def epoch(self) -> int:
        return self._epoch

    def remember_token(self, token_hash: str, entry: TokenEntry, epoch: int) -> None:
        """Store a lookup that began at `epoch` (from `epoch()`), unless invalidated since."""
        if epoch != self._epoch:
            return
        if len(self._tokens) >= self._max_entries:
            self._tokens.clear()  # a crude bound; a full map means tokens are being churned
        self._tokens[token_hash] = entry

    async def estate(self, client_pk: int, uow: UnitOfWork | None = None) -> Estate:
        """The client's estate; on a miss it is read through `uow` (or a unit of work of its
        own), so a caller that already holds one spends no second transaction on it."""
        await self._fresh()
        found = self._estates.get(client_pk)
        if found is not None:
            return found
        epoch = self._epoch
        if uow is not None:
            loaded = await uow.clients.estate(client_pk)
        else:
            async with self._uow() as own:
                loaded = await own.clients.estate(client_pk)
        if epoch == self._epoch:
            if len(self._estates) >= self._max_entries:
                self._estates.clear()
            self._estates[client_pk] = loaded
        return loaded

    async def production_facilities(self, uow: UnitOfWork | None = None) -> frozenset[int]:
        """Facilities held by an active production client, read as `estate` is (only the
        marketplace side asks, so the integration API's hot path never pays for it)."""
        await self._fresh()
        found = self._production
        if found is not None:
            return found
        epoch = self._epoch
        if uow is not None:
            loaded = await uow.clients.production_facility_ids()
        else:
            async with self._uow() as own:
                loaded = await own.clients.production_facility_ids()
        if epoch == self._epoch:
            self._production = loaded
        return loaded
