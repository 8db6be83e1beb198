"""Secrets out of what the request journal shows: credentials in headers, query strings and
bodies (JSON or form, possibly cut off at the journal's size limit, so no parser is trusted
to see a whole document).

Masking happens when the journal is read, not when a request is recorded, so the API's hot
path never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Names that carry credentials: client_secret, access_token, api_key, X-Api-Key, password,
# signature, webhook-signature, authorization...
_SECRET_WORD = r"(?:secret|token|passw(?:or)?d|api[_-]?key|signature|authorization)"
_SECRET_NAME = rf"[^\"=&]*?{_SECRET_WORD}[^\"=&]*"
_JSON_PAIR = re.compile(rf'("{_SECRET_NAME}"\s*:\s*)"(?:[^"\\]|\\.)*"?', re.IGNORECASE)
_FORM_PAIR = re.compile(rf"(^|[&?])({_SECRET_NAME})=([^&]*)", re.IGNORECASE)
_BEARER = re.compile(r"((?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
_SIGNING_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")
_SECRET_HEADERS = re.compile(
    r"authorization|proxy-authorization|cookie|set-cookie|.*(?:secret|token|api-?key|signature).*",
    re.IGNORECASE,
)


def mask_text(text: str) -> str:
    """`text` with the values of credential-named fields, bearer and basic credentials and
    Standard Webhooks signing secrets replaced by `***`."""
    text = _JSON_PAIR.sub(rf'\1"{MASK}"', text)
    text = _FORM_PAIR.sub(rf"\1\2={MASK}", text)
    text = _BEARER.sub(rf"\1{MASK}", text)
    return _SIGNING_SECRET.sub(f"whsec_{MASK}", text)


def mask_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Header pairs as text; credential headers keep only their scheme (`Bearer ***`)."""
    shown: list[tuple[str, str]] = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if _SECRET_HEADERS.fullmatch(name):
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {MASK}" if rest and name.endswith("authorization") else MASK
        shown.append((name, value))
    return shown
