"""Operator use cases for API clients: create, list, show, revoke, assign facilities, set
limits, features and the environment."""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from dpi_server.domain.clients import KNOWN_FEATURES, ApiClient, hash_credential
from dpi_server.domain.directory import Estate
from dpi_server.domain.environments import SANDBOX, ProductionClientsActive, check_environment
from dpi_server.domain.errors import DomainError
from dpi_server.domain.locales import LOCALES
from dpi_server.domain.notifications import DeliverySettings
from dpi_server.services.cache import HotPathCache
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import NewClient, UnitOfWork, UnitOfWorkFactory


class ClientAdminError(DomainError):
    """An operator mistake (facility of another locale, unknown feature...): 400 with the
    message on the sandbox API, printed by the CLI."""

    status = 400


class UnknownClient(ClientAdminError):
    status = 404

    def __init__(self, client_id: str) -> None:
        super().__init__(f"no client with id {client_id!r}")


class UnknownFacility(ClientAdminError):
    status = 404


class ClientIdTaken(ClientAdminError):
    status = 409


@dataclass(frozen=True, slots=True)
class ClientDetails:
    """What an operator sees of a client: itself, its estate and how it is notified."""

    client: ApiClient
    estate: Estate
    delivery: DeliverySettings


@dataclass(frozen=True, slots=True)
class CreatedClient:
    client: ApiClient
    client_secret: str  # shown once; only its hash is stored


class ClientAdminService:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, cache: HotPathCache | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._cache = cache

    def _changed(self) -> None:
        """A client, estate or token changed: this process forgets what it cached at once
        (other processes follow the database's generation counter, services/cache.py)."""
        if self._cache is not None:
            self._cache.invalidate()

    async def create(
        self,
        name: str,
        locale: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        features: frozenset[str] = frozenset(),
        environment: str = SANDBOX,
        facilities: Sequence[tuple[int, bool]] = (),
    ) -> CreatedClient:
        """A new client with its estate (facility id, may edit calendars), in one
        transaction: a facility that cannot be granted leaves no client behind."""
        check_environment(environment)
        if locale not in LOCALES:
            raise ClientAdminError(f"unknown locale {locale!r}")
        unknown = features - KNOWN_FEATURES
        if unknown:
            raise ClientAdminError(f"unknown feature(s): {', '.join(sorted(unknown))}")
        public_id = client_id or f"{secrets.randbelow(90000) + 10000}_{secrets.token_hex(16)}"
        secret = client_secret or secrets.token_urlsafe(32)
        async with self._uow(write=True) as uow:
            if await uow.clients.get_by_client_id(public_id) is not None:
                raise ClientIdTaken(f"client id {public_id!r} already exists")
            client = await uow.clients.add(
                NewClient(
                    client_id=public_id,
                    secret_hash=hash_credential(secret),
                    name=name,
                    locale=locale,
                    created_at=self._clock.now(),
                    features=features,
                    environment=environment,
                )
            )
            for facility_id, can_edit in facilities:
                await _grant(uow, client, facility_id, can_edit)
            await uow.commit()
        self._changed()
        return CreatedClient(client, secret)

    async def list(self) -> list[tuple[ApiClient, list[int]]]:
        async with self._uow() as uow:
            clients = await uow.clients.list()
            return [(c, sorted((await uow.clients.estate(c.pk)).facility_ids)) for c in clients]

    async def details(self, client_id: str | None = None) -> builtins.list[ClientDetails]:
        """One client (404 when unknown), or every client when `client_id` is None."""
        async with self._uow() as uow:
            if client_id is None:
                clients = await uow.clients.list()
            else:
                found = await uow.clients.get_by_client_id(client_id)
                if found is None:
                    raise UnknownClient(client_id)
                clients = [found]
            return [
                ClientDetails(
                    c, await uow.clients.estate(c.pk), await uow.notifications.settings(c.pk)
                )
                for c in clients
            ]

    async def _get(self, client_id: str) -> ApiClient:
        async with self._uow() as uow:
            found = await uow.clients.get_by_client_id(client_id)
        if found is None:
            raise UnknownClient(client_id)
        return found

    async def revoke(self, client_id: str) -> None:
        """Disable the client; its tokens stop working on the next request."""
        client = await self._get(client_id)
        async with self._uow(write=True) as uow:
            await uow.clients.revoke(client.pk, self._clock.now())
            await uow.tokens.delete_for_client(client.pk)
            await uow.commit()
        self._changed()

    async def assign_facility(
        self, client_id: str, facility_id: int, *, can_edit: bool = True
    ) -> None:
        client = await self._get(client_id)
        async with self._uow(write=True) as uow:
            await _grant(uow, client, facility_id, can_edit)
            await uow.commit()
        self._changed()

    async def unassign_facility(self, client_id: str, facility_id: int) -> None:
        client = await self._get(client_id)
        async with self._uow(write=True) as uow:
            await uow.clients.unassign_facility(client.pk, facility_id)
            # From this moment the client receives nothing more of that facility: copies not
            # yet delivered go too (issue #9 §2).
            await uow.notifications.drop_copies_of_facility(client.pk, facility_id)
            await uow.commit()
        self._changed()

    async def set_limits(
        self,
        client_id: str,
        *,
        enabled: bool | None = None,
        read_limit: int | None = None,
        read_window_seconds: int | None = None,
        write_limit: int | None = None,
        write_window_seconds: int | None = None,
    ) -> ApiClient:
        client = await self._get(client_id)
        changes = {
            key: value
            for key, value in (
                ("rate_limit_enabled", enabled),
                ("read_limit", read_limit),
                ("read_window_seconds", read_window_seconds),
                ("write_limit", write_limit),
                ("write_window_seconds", write_window_seconds),
            )
            if value is not None
        }
        for key, value in changes.items():
            if key != "rate_limit_enabled" and int(value) < 1:
                raise ClientAdminError(f"{key} must be at least 1")
        async with self._uow(write=True) as uow:
            await uow.clients.update(client.pk, **changes)
            await uow.commit()
        self._changed()
        return await self._get(client_id)

    async def set_features(self, client_id: str, features: frozenset[str]) -> None:
        unknown = features - KNOWN_FEATURES
        if unknown:
            raise ClientAdminError(f"unknown feature(s): {', '.join(sorted(unknown))}")
        client = await self._get(client_id)
        async with self._uow(write=True) as uow:
            await uow.clients.update(client.pk, features=features)
            await uow.commit()
        self._changed()

    async def set_environment(self, client_id: str, environment: str) -> ApiClient:
        """`sandbox` or `production` (domain/environments.py); the sandbox's patient and
        doctor controls stop (or start) acting on the client's facilities at once."""
        check_environment(environment)
        client = await self._get(client_id)
        async with self._uow(write=True) as uow:
            await uow.clients.update(client.pk, environment=environment)
            await uow.commit()
        self._changed()
        return await self._get(client_id)

    async def refuse_if_production(self, control: str, effect: str) -> None:
        """409 `<control> is refused while an active production API client exists...` for
        the sandbox's platform-wide controls (time travel, like reset) that would otherwise
        act on production estates too."""
        async with self._uow() as uow:
            if await uow.clients.any_live_production():
                raise ProductionClientsActive(control, effect)


async def _grant(uow: UnitOfWork, client: ApiClient, facility_id: int, can_edit: bool) -> None:
    facility = await uow.directory.get_facility(facility_id)
    if facility is None:
        raise UnknownFacility(f"no facility with id {facility_id}")
    if facility.locale != client.locale:
        raise ClientAdminError(
            f"facility {facility_id} is in locale {facility.locale!r}, "
            f"the client in {client.locale!r}"
        )
    await uow.clients.assign_facility(client.pk, facility_id, can_edit)
