"""Database errors leave the unit of work as the API's documented answers or as a retry
signal, never as a raw driver error (adapters/db/errors.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dpi_server.bootstrap import Container
from dpi_server.domain import errors
from dpi_server.services.ports import StorageConflict
from dpi_server.services.transactions import retrying
from dpi_server.testing.estate import EstateBuilder

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def _duplicate_service(container: Container, address_id: int, service_id: int) -> None:
    """Insert a second active copy of a dictionary service, skipping the use case's check:
    what two racing transactions would do if nothing serialised them."""
    async with container.services.uow(write=True) as uow:
        await uow.address_services.add(
            address_id,
            NOW,
            service_id=service_id,
            name="Copy",
            price_cents=None,
            is_price_from=False,
            is_default=False,
            description=None,
            default_duration=None,
            is_visible=True,
            min_age=None,
            max_age=None,
            custom_name=None,
            is_public_insurance_flow=False,
        )
        await uow.commit()


class TestTranslation:
    async def test_a_unique_index_race_is_the_documented_409(self, container: Container) -> None:
        """The one-active-copy index answers `Address service already exists` (409)."""
        estate = await EstateBuilder(container.services).build()

        with pytest.raises(errors.AddressServiceAlreadyExists) as caught:
            await _duplicate_service(container, estate.address_ids[0], estate.service_ids[0])

        assert caught.value.status == 409

    async def test_another_constraint_is_a_retry_signal(self, container: Container) -> None:
        """A violation with no documented answer (here a foreign key) is `StorageConflict`:
        the use case runs again and meets the committed state in its own checks."""
        estate = await EstateBuilder(container.services).build()

        with pytest.raises(StorageConflict):
            await _duplicate_service(container, 10**12, estate.service_ids[0])

    async def test_retries_run_out_as_503_with_retry_after(self) -> None:
        """A race lost on every attempt ends as 503 `Retry-After: 1`, never a 500."""
        attempts = 0

        async def always_loses() -> None:
            nonlocal attempts
            attempts += 1
            raise StorageConflict("serialization failure")

        with pytest.raises(errors.ServiceBusy) as caught:
            await retrying(always_loses, attempts=3)

        assert attempts == 3
        assert (caught.value.status, caught.value.retry_after) == (503, 1)

    async def test_a_retried_race_succeeds_once_the_winner_committed(self) -> None:
        """The second attempt's result is the use case's answer."""
        outcomes = iter([StorageConflict("deadlock"), None])

        async def flaky() -> str:
            outcome = next(outcomes)
            if outcome is not None:
                raise outcome
            return "done"

        assert await retrying(flaky) == "done"
