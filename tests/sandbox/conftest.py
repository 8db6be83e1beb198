"""Fixtures of the sandbox tests: the app (leaving no production client behind) and vendor
endpoints answering every post the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from dpi_server.domain.environments import PRODUCTION, SANDBOX
from tests.api.notification_support import Receiver
from tests.conftest import Api
from tests.sandbox.support import receiver_answering


@pytest.fixture
async def api(api: Api) -> AsyncIterator[Api]:
    """The app as everywhere, and afterwards every production client put back to sandbox:
    the session's database is shared by the tests of a worker, and a production client left
    behind would close time travel and reset to every later one."""
    yield api
    clients = api.container.services.clients
    for client, _facilities in await clients.list():
        if client.environment == PRODUCTION and client.usable:
            await clients.set_environment(client.client_id, SANDBOX)


@pytest.fixture
def receiver_204() -> Iterator[Receiver]:
    yield from receiver_answering(204)


@pytest.fixture
def receiver_500() -> Iterator[Receiver]:
    yield from receiver_answering(500)
