"""What every authenticated request needs, kept in the process (ARCHITECTURE.md "The hot path").

Four maps: the principal behind a bearer token (by token hash), a client's estate (by client
key), the facilities production clients hold (the sandbox's controls stay off them,
domain/environments.py), and `memo` answers built from directory rows (the objects a path
names, a client's rendered facility list). All are dropped whole whenever anything they are
built from may have changed:

- **in this process, at once**: the SQL unit of work calls `invalidate()` after committing a
  write to any table they are read from (adapters/db/cache_writes.py), and the use cases that
  change clients call it too (ClientAdminService);
- **in every other process, within `max_age_seconds`** (0.5 s, so well inside the promised
  second): the database keeps a generation counter that triggers on `api_clients`,
  `client_facilities`, `access_tokens`, `facilities`, `doctors`, `doctor_facilities` and
  `addresses` bump in the same transaction as the change (migrations 0006 and 0015), so no
  writer can forget it, whichever process or tool it is. Before
  answering from the cache, a process re-reads the counter if its last read is older than
  `max_age_seconds`, and drops everything when it moved. That one tiny read every half second
  is all the hot path pays; no request is answered from data validated longer ago than that.

Calendar answers (`calendar_memo`: a getSlots window's free slots) are a second family with
its own, shorter rule, because they move with every booking: they are dropped at once in this
process after any committed write to calendars, periods, breaks, bookings, address services
or slot holds, and each lives at most `max_age_seconds` (0.5 s), so a change made by another
process shows within that. No counter is shared for them: a bump in every booking's
transaction would serialise all bookings of a PostgreSQL deployment on one row.

Only positive answers are cached: an unknown token is looked up every time, so a token minted
by another process works at once. Expiry is checked against the clock on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar, cast

from dpi_server.domain.clients import ApiClient
from dpi_server.domain.directory import Estate
from dpi_server.services.repositories import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
# At most this many calendar answers at once (each lives 0.5 s).
CALENDAR_ENTRIES = 256


class _LoadAbandoned(Exception):
    """The load a request waited for was cancelled (its own client went away)."""


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
        keep_answers: bool = True,
    ) -> None:
        self._uow = uow
        self._generations = generations
        self._max_age = max_age_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._tokens: dict[str, TokenEntry] = {}
        self._estates: dict[int, Estate] = {}
        self._production: frozenset[int] | None = None
        self._answers: dict[Hashable, object] = {}
        self._calendar: dict[Hashable, tuple[float, object]] = {}
        # Loads in progress: concurrent misses of one key wait for the first one's load.
        self._calendar_loads: dict[Hashable, asyncio.Future[object]] = {}
        self._calendar_epoch = 0
        # Off where nothing reports writes to the directory (the in-memory unit of work).
        self._keep_answers = keep_answers
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
        self._answers.clear()
        self.invalidate_calendar()

    def invalidate_calendar(self) -> None:
        """Forget the calendar answers now (after committing a change to calendar data)."""
        self._calendar_epoch += 1
        self._calendar.clear()
        # A load under way may predate the change: later requests must not wait for it.
        self._calendar_loads.clear()

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

    async def memo(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        keep: Callable[[T], bool] = lambda _value: True,
    ) -> T:
        """`load()`'s value, kept under `key` until the next invalidation when `keep(value)`.
        Only for values built from the watched tables (see the module docstring)."""
        if not self._keep_answers:
            return await load()
        await self._fresh()
        if key in self._answers:
            return cast(T, self._answers[key])
        epoch = self._epoch
        value = await load()
        if epoch == self._epoch and keep(value):
            if len(self._answers) >= self._max_entries:
                self._answers.clear()
            self._answers[key] = value
        return value

    async def calendar_memo(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s value, kept under `key` for at most `max_age_seconds` and until the
        next calendar (or full) invalidation."""
        if not self._keep_answers:
            return await load()
        now = self._monotonic()
        found = self._calendar.get(key)
        if found is not None and now - found[0] < self._max_age:
            return cast(T, found[1])
        pending = self._calendar_loads.get(key)
        if pending is not None:
            # Without this, every request that arrives while an expired answer is being
            # recomputed (its reads yield on PostgreSQL) would compute it again.
            with contextlib.suppress(_LoadAbandoned):
                return cast(T, await asyncio.shield(pending))
        epoch = (self._epoch, self._calendar_epoch)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._calendar_loads[key] = future
        try:
            value = await load()
        except BaseException as exc:
            # A refusal is the waiters' answer too; a cancelled load makes them load anew.
            future.set_exception(exc if isinstance(exc, Exception) else _LoadAbandoned())
            future.exception()  # retrieved, so asyncio does not log it when nobody waited
            raise
        else:
            future.set_result(value)
        finally:
            if self._calendar_loads.get(key) is future:
                del self._calendar_loads[key]
        if epoch == (self._epoch, self._calendar_epoch):
            if len(self._calendar) >= CALENDAR_ENTRIES:
                # A quarter's answer holds thousands of slots: keep the live ones only, and
                # few of those (a poller of ever-new windows must not grow the process).
                live = {k: v for k, v in self._calendar.items() if now - v[0] < self._max_age}
                self._calendar = live if len(live) < CALENDAR_ENTRIES // 2 else {}
            self._calendar[key] = (now, value)
        return value
