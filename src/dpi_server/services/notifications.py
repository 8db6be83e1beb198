"""Notification use cases of API clients and operators: pull, release, delivery settings and
the delivery log (behaviour.md §11, decisions.md "Notifications").

Copies are written by the unit of work with the change that raised them
(`adapters/db/outbox.py`); push copies are sent by `services/delivery.py`.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from dpi_server.domain import errors
from dpi_server.domain.actors import IntegrationActor
from dpi_server.domain.notifications import (
    PULL,
    PULL_LIMIT_MAX,
    PUSH,
    SECRET_PREFIX,
    DeliverySettings,
    NoNotificationsFound,
    NotAllowedToUseMethod,
    ReleaseTooSoon,
    check_optional_events,
    check_pull_limit,
    release_retry_after,
)
from dpi_server.services.clients import ClientAdminError, UnknownClient
from dpi_server.services.notification_ports import AttemptRecord, CopyRecord
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory
from dpi_server.services.transactions import retrying

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class Pulled:
    """Notification bodies (JSON text, oldest first) and how many stay queued."""

    bodies: list[str]
    remaining: int


@dataclass(frozen=True, slots=True)
class DeliveryChange:
    """What an operator changes in a client's delivery settings; None keeps the value."""

    push_url: str | None = None
    pull: bool = False
    api_key_header: str | None = None
    api_key: str | None = None
    realtime_url: str | None = None
    no_realtime: bool = False
    enable_events: frozenset[str] = frozenset()
    disable_events: frozenset[str] = frozenset()
    sign: bool | None = None


@dataclass(frozen=True, slots=True)
class ConfiguredDelivery:
    client_id: str
    settings: DeliverySettings
    new_signing_secret: str | None = None


class NotificationService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # --- API clients --------------------------------------------------------------------------
    async def pull(self, actor: IntegrationActor, limit: int = 1) -> Pulled:
        """The oldest unexpired copies, consumed as they are read (behaviour.md §11.2)."""
        if not check_pull_limit(limit):
            raise errors.FieldErrors(
                {"limit": [f"This value should be between 1 and {PULL_LIMIT_MAX}."]}
            )

        async def attempt() -> Pulled:
            async with self._uow(write=True) as uow:
                now = self._clock.now()
                copies = await uow.notifications.pull(actor.client_pk, limit, now)
                if not copies:
                    raise NoNotificationsFound()
                remaining = await uow.notifications.queued_count(actor.client_pk, now)
                await uow.commit()
            return Pulled([c.body for c in copies], remaining)

        return await retrying(attempt)

    async def release(self, actor: IntegrationActor) -> int:
        """Re-queue the buried push copies: push clients only, once per hour (§11.3)."""

        async def attempt() -> int:
            async with self._uow(write=True) as uow:
                settings = await uow.notifications.settings(actor.client_pk)
                if not settings.is_push:
                    raise NotAllowedToUseMethod()
                now = self._clock.now()
                wait = release_retry_after(settings.last_release_at, now)
                if wait is not None:
                    raise ReleaseTooSoon(wait)
                count = await uow.notifications.release_buried(actor.client_pk, now)
                await uow.commit()
            return count

        return await retrying(attempt)


class NotificationAdminService:
    """The operator's side: delivery settings and the delivery log, by OAuth client id (the
    string an operator types, as for `ClientAdminService`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def configure(self, client_id: str, change: DeliveryChange) -> ConfiguredDelivery:
        """Set how a client receives notifications; a new signing secret is returned once."""
        for url in (change.push_url, change.realtime_url):
            if url is not None:
                _check_url(url)
        try:
            check_optional_events(change.enable_events | change.disable_events)
        except ValueError as exc:
            raise ClientAdminError(str(exc)) from None
        async with self._uow(write=True) as uow:
            client = await uow.clients.get_by_client_id(client_id)
            if client is None:
                raise UnknownClient(client_id)
            current = await uow.notifications.settings(client.pk)
            updated, secret = _apply(current, change)
            await uow.notifications.save_settings(updated)
            await uow.commit()
        return ConfiguredDelivery(client_id, updated, secret)

    async def delivery_of(self, client_id: str) -> DeliverySettings:
        async with self._uow() as uow:
            client = await uow.clients.get_by_client_id(client_id)
            if client is None:
                raise UnknownClient(client_id)
            return await uow.notifications.settings(client.pk)

    async def list_copies(
        self, client_id: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[CopyRecord]:
        async with self._uow() as uow:
            pk = None
            if client_id is not None:
                client = await uow.clients.get_by_client_id(client_id)
                if client is None:
                    raise UnknownClient(client_id)
                pk = client.pk
            return await uow.notifications.list_copies(pk, state, limit)

    async def show_copy(self, delivery_id: int) -> tuple[CopyRecord, str, list[AttemptRecord]]:
        async with self._uow() as uow:
            found = await uow.notifications.copy(delivery_id)
        if found is None:
            raise ClientAdminError(f"no notification copy {delivery_id}")
        return found

    async def retry_copy(self, delivery_id: int) -> None:
        """Send a push copy again now, with a fresh retry schedule."""
        async with self._uow(write=True) as uow:
            if not await uow.notifications.retry_copy(delivery_id, self._clock.now()):
                raise ClientAdminError(
                    f"copy {delivery_id} is not a push copy waiting or done (or does not exist)"
                )
            await uow.commit()


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _apply(
    current: DeliverySettings, change: DeliveryChange
) -> tuple[DeliverySettings, str | None]:
    updated = current
    if change.push_url is not None:
        updated = replace(updated, mode=PUSH, push_url=change.push_url, healthy=None)
    if change.pull:
        updated = replace(updated, mode=PULL, push_url=None, healthy=None, health_failures=0)
    if change.api_key_header is not None:
        updated = replace(updated, api_key_header=change.api_key_header)
    if change.api_key is not None:
        updated = replace(updated, api_key_value=change.api_key or None)
    if change.realtime_url is not None:
        updated = replace(updated, realtime_url=change.realtime_url)
    if change.no_realtime:
        updated = replace(updated, realtime_url=None)
    events = (updated.events | change.enable_events) - change.disable_events
    updated = replace(updated, events=frozenset(events))
    secret = None
    if change.sign is True:
        secret = new_signing_secret()
        updated = replace(updated, signing_secret=secret)
    elif change.sign is False:
        updated = replace(updated, signing_secret=None)
    return updated, secret


def _check_url(url: str) -> None:
    """Docplanner pushes to HTTPS only; plain HTTP is allowed to this machine, for testing."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise ClientAdminError(f"{url!r}: an https:// URL is needed (http:// only to localhost)")
