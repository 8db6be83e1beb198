"""What `Client` and `AsyncClient` share: configuration, URLs, request building and the reading
of answers. Only sending differs between them (httpx's `BaseClient` pattern, STYLE.md §8)."""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Generic, NoReturn, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from dpi._auth import ClientCredentialsAuth, Secret
from dpi._exceptions import ConnectionError, DpiError, error_from_response
from dpi._operations import API_PREFIX, OPERATIONS, TOKEN_PATH, Operation
from dpi._ratelimit import RateLimitState
from dpi._retry import DEFAULT_RETRY_POLICY, NO_RETRIES, RetryPolicy
from dpi._version import __version__

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Id = str | int
"""An id in a path or body: Docplanner ids are strings, numbers are accepted and converted."""

LOCALE_DOMAINS: Mapping[str, str] = {
    "ar": "doctoraliar.com",
    "br": "doctoralia.com.br",
    "cl": "doctoralia.cl",
    "co": "doctoralia.co",
    "cz": "znamylekar.cz",
    "de": "jameda.de",
    "es": "doctoralia.es",
    "it": "miodottore.it",
    "mx": "doctoralia.mx",
    "pe": "doctoralia.pe",
    "pl": "znanylekarz.pl",
    "pt": "doctoralia.com.pt",
    "tr": "doktortakvimi.com",
}
"""The marketplace domain of each locale (behaviour.md §1); the API lives at `www.{domain}`."""

ACCEPT = "application/vnd.docplanner+json; charset=UTF-8, application/vnd.error+docplanner+json"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class NotGiven:
    """The type of `NOT_GIVEN`: "leave this field out", as opposed to `None`, "send null".

    PATCH methods (`address_services.update`) default every field to `NOT_GIVEN`, so that
    `price=None` clears a price while an absent `price` leaves it alone.
    """

    _instance: ClassVar[NotGiven | None] = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def given(**fields: object) -> dict[str, object]:
    """The fields that are not `NOT_GIVEN`, for PATCH bodies."""
    return {k: _jsonable(v) for k, v in fields.items() if not isinstance(v, NotGiven)}


def _jsonable(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True, by_alias=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return format_value(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def format_value(value: object) -> str:
    """A path or query value as Docplanner reads it: ISO 8601 date-times with an offset."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # Docplanner requires a zone on every date-time (behaviour.md §3); guessing one
            # would silently shift visits by hours.
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (tzinfo set)")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def join_with(values: Iterable[Enum | str] | None) -> str | None:
    """`with` values as the official SDK sends them: one comma-separated parameter."""
    if not values:
        return None
    if isinstance(values, str):  # one value given bare, not as a list of characters
        values = [values]
    joined = ",".join(format_value(v) for v in values)
    return joined or None


def model_body(model: type[M], value: M | Mapping[str, Any]) -> dict[str, Any]:
    """A request model (or a mapping validated into one) as a JSON body without nulls."""
    checked = value if isinstance(value, model) else model.model_validate(value)
    return checked.model_dump(mode="json", exclude_none=True, by_alias=True)


# -- reading answers ------------------------------------------------------------------------------


def parse_none(response: httpx.Response) -> None:
    """For operations that answer without a body (201, 202, 204, and 200 for enable)."""
    return None


def parse_model(model: type[M]) -> Callable[[httpx.Response], M]:
    """Read the body as one `model`."""

    def parse(response: httpx.Response) -> M:
        return model.model_validate(response.json())

    return parse


def parse_items(model: type[M]) -> Callable[[httpx.Response], list[M]]:
    """Read a `{"_items": [...]}` body as a list of `model`."""

    def parse(response: httpx.Response) -> list[M]:
        return [model.model_validate(item) for item in response.json().get("_items", [])]

    return parse


@dataclass(frozen=True)
class Call(Generic[T]):
    """One call of an operation: what to send and how to read the answer."""

    operation: Operation
    parse: Callable[[httpx.Response], T]
    path: Mapping[str, object] = field(default_factory=dict)
    params: Mapping[str, object | None] = field(default_factory=dict)
    json: Any = None
    retry: bool | None = None  # None: the client's policy decides
    # After a lost answer (no response, or a 5xx), finds what the call may have created, or
    # None; the call is retried only when nothing was found. A coroutine function for the
    # async client. The API has no idempotency key: this is how a POST retries safely.
    recover: Callable[[], Any] | None = None


def call(
    operation_id: str,
    parse: Callable[[httpx.Response], T],
    path: Mapping[str, object] | None = None,
    *,
    params: Mapping[str, object | None] | None = None,
    json: Any = None,
    retry: bool | None = None,
    recover: Callable[[], Any] | None = None,
) -> Call[T]:
    """A `Call` of the operation named by its operationId."""
    return Call(OPERATIONS[operation_id], parse, path or {}, params or {}, json, retry, recover)


def raise_lost(request: httpx.Request, cause: httpx.TransportError) -> NoReturn:
    """Raise the ConnectionError of a request that got no answer."""
    raise ConnectionError(f"{type(cause).__name__}: {cause}", request=request) from cause


def digits(phone: str | None) -> str:
    """A phone number's digits, to compare numbers written differently."""
    return "".join(ch for ch in phone or "" if ch.isdigit())


def address_path(facility_id: Id, doctor_id: Id, address_id: Id) -> dict[str, object]:
    """The three ids of every address path."""
    return {"facility_id": facility_id, "doctor_id": doctor_id, "address_id": address_id}


# -- configuration ----------------------------------------------------------------------------


def normalise_base_url(base_url: str | httpx.URL) -> str:
    """The site root: a trailing `/api/v3/integration` (as in demo-credentials.json) or slash
    is dropped, so that both the API and `/oauth/v2/token` hang off it."""
    text = str(base_url).rstrip("/")
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)]
    return text


def ssl_context(verify: bool | str | os.PathLike[str] | ssl.SSLContext) -> bool | ssl.SSLContext:
    """httpx's `verify`, with a CA bundle path (dpi's `ca_cert`) turned into a context."""
    if isinstance(verify, bool | ssl.SSLContext):
        return verify
    return ssl.create_default_context(cafile=os.fspath(verify))


def _retry_policy(retries: int | RetryPolicy | None) -> RetryPolicy:
    if retries is None:
        return DEFAULT_RETRY_POLICY
    if isinstance(retries, RetryPolicy):
        return retries
    return NO_RETRIES if retries <= 0 else RetryPolicy(max_retries=retries)


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)


class BaseClient(Generic[HttpT, TransportT]):
    """Configuration and request building shared by `Client` and `AsyncClient` (whose
    docstrings describe the constructor's arguments)."""

    _http_class: ClassVar[Any]  # httpx.Client or httpx.AsyncClient
    _http: HttpT

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str | httpx.URL,
        verify: bool | str | os.PathLike[str] | ssl.SSLContext = True,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: TransportT | None = None,
        http_client: HttpT | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.retry_policy = _retry_policy(retries)
        self.auth = ClientCredentialsAuth(
            self.base_url + TOKEN_PATH, client_id, Secret(client_secret)
        )
        self._rate_limit: RateLimitState | None = None
        self._owns_http = http_client is None
        default_headers = {"Accept": ACCEPT, "User-Agent": f"dpi-python/{__version__}"}
        if http_client is None:
            self._http = self._http_class(
                verify=ssl_context(verify),
                timeout=timeout,
                transport=transport,
                headers={**default_headers, **(headers or {})},
            )
        else:
            http_client.headers.update({**default_headers, **(headers or {})})
            self._http = http_client

    @classmethod
    def for_locale(cls, locale: str, client_id: str, client_secret: str, **options: Any) -> Self:
        """A client of the real marketplace of `locale` (`"pl"` → `https://www.znanylekarz.pl`).

        `options` are the constructor's keyword arguments (`timeout`, `retries`...).
        """
        try:
            domain = LOCALE_DOMAINS[locale.lower()]
        except KeyError:
            known = ", ".join(sorted(LOCALE_DOMAINS))
            raise ValueError(f"unknown locale {locale!r}; known: {known}") from None
        return cls(client_id, client_secret, base_url=f"https://www.{domain}", **options)

    @classmethod
    def from_credentials_file(cls, path: str | os.PathLike[str], **options: Any) -> Self:
        """A client from a `demo-credentials.json` as `dpi serve` writes it: its id, secret,
        `api_base_url` and, unless `verify` is given, its `ca_cert` as the trusted CA."""
        stored = json.loads(Path(path).read_text())
        base = stored.get("api_base_url") or str(stored["token_url"]).removesuffix(TOKEN_PATH)
        if stored.get("ca_cert") and "verify" not in options:
            options["verify"] = stored["ca_cert"]
        return cls(stored["client_id"], stored["client_secret"], base_url=base, **options)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, client_id={self.auth.client_id!r})"
        )

    @property
    def rate_limit(self) -> RateLimitState | None:
        """The rate-limit state of the last API answer (None before one, or when the server
        sends no `X-RateLimit-*` headers because limiting is off for this client)."""
        return self._rate_limit

    def _url(self, target: Call[Any]) -> str:
        path = target.operation.path.format(
            **{k: quote(format_value(v), safe="") for k, v in target.path.items()}
        )
        return f"{self.base_url}{API_PREFIX}{path}"

    def _build(self, target: Call[Any]) -> httpx.Request:
        params = {k: format_value(v) for k, v in target.params.items() if v is not None}
        return self._http.build_request(
            target.operation.method,
            self._url(target),
            params=params or None,
            json=target.json,
        )

    def _policy_for(self, target: Call[Any]) -> RetryPolicy:
        """The retry policy of one call: the client's, unless the call says otherwise."""
        if target.retry is False:
            return NO_RETRIES
        if target.retry and not self.retry_policy.retry_non_idempotent:
            return dataclasses.replace(self.retry_policy, retry_non_idempotent=True)
        return self.retry_policy

    def _finish(self, target: Call[T], response: httpx.Response) -> T:
        """Record the rate-limit state; raise the mapped error or parse the success."""
        self._rate_limit = RateLimitState.from_headers(response.headers)
        if not response.is_success:
            raise error_from_response(response)
        try:
            return target.parse(response)
        except ValueError as exc:  # not JSON, or JSON that does not fit the model
            raise DpiError(
                f"unreadable answer to {target.operation.operation_id}: {exc}",
                status=response.status_code,
                request=response.request,
                response=response,
            ) from exc
