"""Who may use the sandbox's controls (`/_sandbox/`, the console pages): the operator.

An operator token is a random string shown once (demo-credentials.json). Only its SHA-256 is
stored, and a presented token is compared with every stored hash in constant time, so neither
the database nor the timing of a refusal tells anything about a valid token. The token never
works on the integration API (it is not an access token), and an access token never works
here (it is not an operator token).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from dpi_server.domain.actors import OperatorActor
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory

MIN_TOKEN_LENGTH = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_operator_token() -> str:
    return secrets.token_hex(24)


class OperatorAuthService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, configured: str | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._configured = token_hash(configured) if configured else None

    async def install(self, token: str) -> None:
        """Accept `token` from now on (idempotent)."""
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"an operator token has at least {MIN_TOKEN_LENGTH} characters")
        async with self._uow(write=True) as uow:
            await uow.sandbox.add_operator_token(token_hash(token), self._clock.now())
            await uow.commit()

    async def verify(self, presented: str) -> OperatorActor | None:
        """The operator when `presented` is one of the tokens, else None."""
        if not presented:
            return None
        wanted = token_hash(presented)
        async with self._uow() as uow:
            known = await uow.sandbox.operator_token_hashes()
        if self._configured is not None:
            known.append(self._configured)
        # Compare with every hash, not stopping at a match, so timing says nothing.
        matched = False
        for candidate in known:
            matched |= hmac.compare_digest(candidate, wanted)
        return OperatorActor() if matched else None
