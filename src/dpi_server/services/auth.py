"""OAuth2 client credentials and bearer-token checks (decisions.md "Authorization")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dpi_server.domain.clients import (
    credential_matches,
    hash_credential,
    is_expired,
    token_expiry,
)
from dpi_server.domain.locales import LOCALES, Locale
from dpi_server.services.cache import HotPathCache, TokenEntry
from dpi_server.services.ports import Clock
from dpi_server.services.principal import Principal, RateLimitPolicy
from dpi_server.services.repositories import UnitOfWorkFactory


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class InvalidToken(Exception):
    """A bearer token that is unknown, expired, revoked or used on another locale's host."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


TOKEN_INVALID = "The access token provided is invalid."
TOKEN_EXPIRED = "The access token provided has expired."


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


class AuthService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        lifetime_seconds: int,
        cache: HotPathCache | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._cache = cache

    async def issue_token(
        self,
        *,
        grant_type: str | None,
        scope: str | None,
        client_id: str | None,
        client_secret: str | None,
    ) -> IssuedToken:
        """Check a client-credentials request and mint a fresh 40-hex bearer token."""
        if not grant_type:
            raise OAuthError("invalid_request", 'The "grant_type" parameter is required.')
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", 'Only the "client_credentials" grant type is supported.'
            )
        if scope not in (None, "", "integration"):
            raise OAuthError("invalid_scope", 'The only supported scope is "integration".')
        if not client_id or client_secret is None:
            raise OAuthError("invalid_client", "Client authentication failed.", status=401)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            client = await uow.clients.get_by_client_id(client_id)
            # Compare even for unknown clients so timing says nothing about which ids exist.
            stored = client.secret_hash if client else hash_credential(secrets.token_hex(20))
            if not credential_matches(client_secret, stored) or client is None or not client.usable:
                raise OAuthError("invalid_client", "Client authentication failed.", status=401)
            token = secrets.token_hex(20)
            await uow.tokens.add(
                hash_credential(token), client.pk, now, token_expiry(now, self._lifetime)
            )
            await uow.commit()
        return IssuedToken(token, self._lifetime)

    async def authenticate(self, token: str, locale: Locale) -> Principal:
        """The principal behind a bearer token presented on `locale`'s host."""
        if not token:
            raise InvalidToken(TOKEN_INVALID)
        token_hash = hash_credential(token)
        cache = self._cache
        entry = await cache.token(token_hash) if cache is not None else None
        if entry is None:
            epoch = cache.epoch() if cache is not None else 0
            async with self._uow() as uow:
                found = await uow.tokens.find(token_hash)
                if found is None:
                    raise InvalidToken(TOKEN_INVALID)
                client_pk, expires_at = found
                stored = await uow.clients.get(client_pk)
            if stored is None:
                raise InvalidToken(TOKEN_INVALID)
            entry = TokenEntry(stored, expires_at)
            if cache is not None:
                cache.remember_token(token_hash, entry, epoch)
        client, expires_at = entry.client, entry.expires_at
        if not client.usable:
            raise InvalidToken(TOKEN_INVALID)
        if is_expired(expires_at, self._clock.now()):
            raise InvalidToken(TOKEN_EXPIRED)
        if client.locale != locale.code:
            raise InvalidToken(TOKEN_INVALID)
        return Principal(
            client_pk=client.pk,
            client_id=client.client_id,
            locale=LOCALES[client.locale],
            rate_limit=RateLimitPolicy(
                enabled=client.rate_limit_enabled,
                read_limit=client.read_limit,
                read_window_seconds=client.read_window_seconds,
                write_limit=client.write_limit,
                write_window_seconds=client.write_window_seconds,
            ),
            features=client.features,
        )
