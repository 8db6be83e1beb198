"""Who may use the sandbox's controls (`/_sandbox/`, the console pages): the operator.

An operator token is a random string shown once (demo-credentials.json). Only its SHA-256 is
stored, and a presented token is compared with every stored hash in constant time, so neither
the database nor the timing of a refusal tells anything about a valid token. The token never
works on the integration API (it is not an access token), and an access token never works
here (it is not an operator token).

The console pages sign in with the token once and then carry a *session value* in a cookie:
`<expiry>.<HMAC-SHA256 of the expiry, keyed by the token's stored hash>`. Any process of the
deployment can check it (the hashes are in the shared database), it stops working when the
token is removed, and the token itself never sits in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from dpi_server.domain.actors import OperatorActor
from dpi_server.services.ports import Clock
from dpi_server.services.repositories import UnitOfWorkFactory

MIN_TOKEN_LENGTH = 24
SESSION_LIFETIME = timedelta(hours=12)
_SESSION_CONTEXT = b"dpi-console-session:"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_operator_token() -> str:
    return secrets.token_hex(24)


class OperatorAuthService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, configured: str | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._configured = token_hash(configured) if configured else None
        # Session values signed out in this process, with their expiry (epoch seconds).
        self._closed: dict[str, int] = {}

    async def install(self, token: str) -> None:
        """Accept `token` from now on (idempotent)."""
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"an operator token has at least {MIN_TOKEN_LENGTH} characters")
        async with self._uow(write=True) as uow:
            await uow.sandbox.add_operator_token(token_hash(token), self._clock.now())
            await uow.commit()

    async def _known(self) -> list[str]:
        async with self._uow() as uow:
            known = await uow.sandbox.operator_token_hashes()
        if self._configured is not None:
            known.append(self._configured)
        return known

    async def verify(self, presented: str) -> OperatorActor | None:
        """The operator when `presented` is one of the tokens, else None."""
        if not presented:
            return None
        wanted = token_hash(presented)
        known = await self._known()
        # Compare with every hash, not stopping at a match, so timing says nothing.
        matched = False
        for candidate in known:
            matched |= hmac.compare_digest(candidate, wanted)
        return OperatorActor() if matched else None

    async def open_session(self, presented: str) -> str | None:
        """A session value for the console pages when `presented` is a token, else None."""
        if await self.verify(presented) is None:
            return None
        expires = int((self._clock.now() + SESSION_LIFETIME).timestamp())
        return f"{expires}.{_session_mac(token_hash(presented), expires)}"

    async def session(self, value: str) -> OperatorActor | None:
        """The operator when `value` is an unexpired session value of a current token."""
        expiry, _, mac = value.partition(".")
        if not expiry.isdigit() or len(expiry) > 12 or not mac:
            return None
        expires = int(expiry)
        if expires <= self._clock.now().timestamp() or value in self._closed:
            return None
        matched = False
        for candidate in await self._known():
            matched |= hmac.compare_digest(_session_mac(candidate, expires), mac)
        return OperatorActor() if matched else None

    def close_session(self, value: str) -> None:
        """Signing out: this process refuses `value` from now on (the browser drops the
        cookie; other processes accept the value until it expires, at most 12 hours)."""
        now = self._clock.now().timestamp()
        self._closed = {v: e for v, e in self._closed.items() if e > now}
        expiry = value.partition(".")[0]
        if expiry.isdigit() and len(expiry) <= 12:
            self._closed[value] = int(expiry)


def _session_mac(stored_hash: str, expires: int) -> str:
    message = _SESSION_CONTEXT + str(expires).encode()
    return hmac.new(stored_hash.encode(), message, hashlib.sha256).hexdigest()
