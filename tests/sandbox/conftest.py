"""Fixtures of the sandbox tests: vendor endpoints answering every post the same way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.notification_support import Receiver
from tests.sandbox.support import receiver_answering


@pytest.fixture
def receiver_204() -> Iterator[Receiver]:
    yield from receiver_answering(204)


@pytest.fixture
def receiver_500() -> Iterator[Receiver]:
    yield from receiver_answering(500)
