"""Who is calling: the authenticated API client, as the request pipeline sees it.

The authentication middleware stores a `Principal` under `scope["state"]["principal"]` for every
`/api/v3/integration/*` request it lets through; later middleware (rate limiting) and routes
read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dpi_server.domain.actors import IntegrationActor
from dpi_server.domain.locales import Locale

PRINCIPAL_STATE_KEY = "principal"


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """A client's windows (decisions.md "Rate limits"); `enabled=False` means no headers at all."""

    enabled: bool = True
    read_limit: int = 8000
    read_window_seconds: int = 3600
    write_limit: int = 40
    write_window_seconds: int = 60


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated API client.

    `client_pk` is the database key; `client_id` is the public OAuth client id.
    """

    client_pk: int
    client_id: str
    locale: Locale
    rate_limit: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    features: frozenset[str] = frozenset()

    @property
    def actor(self) -> IntegrationActor:
        """The client as the core commands know it."""
        return IntegrationActor(self.client_pk, self.locale.code, self.features)
