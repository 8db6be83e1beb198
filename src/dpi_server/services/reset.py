"""`reset`: the sandbox back to its seeded state, in one transaction, plus whatever the
processes keep in memory (docs/decisions.md "Reset").

The database part is the snapshot taken right after the first-run seed (or by `snapshot`):
every table is put back as it was, id counters included (services/repositories.py
`SnapshotRepository`). What lives outside the database is reset by **hooks**: each part that
keeps state of its own registers one with `on_reset(name, hook)` when the composition root
wires it (bootstrap.py registers the hot-path cache, the rate-limit store and the calendar's
in-flight markers). Hooks run after the restore committed, in the order they were registered;
a hook may be a plain function or a coroutine function. A hook that fails does not keep the
others from running; the first failure is raised once all ran.

Reset never runs while an active production client exists: it would erase production data
(domain/environments.py). The operator token survives a reset (`operator_tokens` is not part
of the snapshot).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from dpi_server.domain.actors import OperatorActor
from dpi_server.domain.environments import ProductionClientsActive
from dpi_server.domain.errors import Conflict
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.transactions import retrying

ResetHook = Callable[[], Awaitable[None] | None]


class NoSnapshot(Conflict):
    message = (
        "There is no snapshot to reset to: the server was started with --no-seed or its data "
        "directory predates snapshots. Take one of the current state with `dpi sandbox "
        "snapshot` (POST /_sandbox/snapshot)."
    )


@dataclass(frozen=True, slots=True)
class SnapshotTaken:
    taken_at: datetime
    tables: int


@dataclass(frozen=True, slots=True)
class ResetDone:
    """The snapshot the database went back to, and the hooks that ran after it."""

    snapshot_taken_at: datetime
    hooks: tuple[str, ...]


class ResetService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._hooks: list[tuple[str, ResetHook]] = []

    def on_reset(self, name: str, hook: ResetHook) -> None:
        """Run `hook` after every reset (it forgets process state that the database does not
        hold); `name` says what it resets, in the answer and in errors."""
        if any(existing == name for existing, _ in self._hooks):
            raise ValueError(f"a reset hook named {name!r} is already registered")
        self._hooks.append((name, hook))

    @property
    def hooks(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._hooks)

    async def snapshot(self, _actor: OperatorActor) -> SnapshotTaken:
        """Make the current state the one `reset` returns to."""
        now = self._clock.now()

        async def attempt() -> int:
            async with self._uow(write=True) as uow:
                tables = await uow.snapshots.take(now)
                await uow.commit()
            return tables

        return SnapshotTaken(now, await retrying(attempt))

    async def snapshot_taken_at(self) -> datetime | None:
        async with self._uow() as uow:
            return await uow.snapshots.taken_at()

    async def reset(self, _actor: OperatorActor) -> ResetDone:
        """409 while an active production client exists or when there is no snapshot; a
        restore the database refuses (busy, or a snapshot that no longer fits the schema)
        changes nothing and ends as the usual 503 after the retries."""

        async def attempt() -> datetime:
            async with self._uow(write=True) as uow:
                if await uow.clients.any_live_production():
                    raise ProductionClientsActive()
                taken_at = await uow.snapshots.taken_at()
                if taken_at is None or not await uow.snapshots.restore():
                    raise NoSnapshot()
                await uow.commit()
            return taken_at

        taken_at = await retrying(attempt)
        failure: BaseException | None = None
        for name, hook in self._hooks:
            try:
                outcome = hook()
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception as exc:
                exc.add_note(f"in the reset hook {name!r}")
                failure = failure or exc
        if failure is not None:
            raise failure
        return ResetDone(taken_at, self.hooks)
