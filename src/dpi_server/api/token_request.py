"""Reading a token request however a real client sends it (decisions.md "Authorization").

Credentials come by HTTP Basic or in the body; the body is form-urlencoded, multipart, or
multipart with no Content-Type at all (the official PHP SDK on Guzzle 7), which is recognised
by its `--boundary` first line.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

import orjson
from python_multipart import parse_form
from python_multipart.exceptions import FormParserError

_BOUNDARY_LINE = re.compile(rb"^--([!-~]{1,200})\r?\n")


class MalformedTokenRequest(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TokenRequest:
    grant_type: str | None
    scope: str | None
    client_id: str | None
    client_secret: str | None


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise MalformedTokenRequest("unreadable Basic credentials") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise MalformedTokenRequest("unreadable Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote_plus(user), unquote_plus(password)


def _multipart(body: bytes, boundary: str) -> dict[str, str]:
    fields: dict[str, str] = {}

    def on_field(field: object) -> None:
        name = getattr(field, "field_name", None)
        value = getattr(field, "value", None)
        if isinstance(name, bytes):
            fields[name.decode("utf-8", "replace")] = (
                value.decode("utf-8", "replace") if isinstance(value, bytes) else ""
            )

    def on_file(file: object) -> None:
        close = getattr(file, "close", None)
        if callable(close):
            close()

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}".encode("latin-1"),
        "Content-Length": str(len(body)).encode(),
    }
    try:
        parse_form(headers, io.BytesIO(body), on_field, on_file)
    except (FormParserError, ValueError) as exc:
        raise MalformedTokenRequest("unreadable multipart body") from exc
    return fields


def _body_fields(content_type: str | None, body: bytes) -> dict[str, str]:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not body.strip():
        return {}
    if media == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type or "")
        if match is None:
            raise MalformedTokenRequest("multipart body without a boundary")
        return _multipart(body, match.group(1))
    if media in ("", "application/octet-stream"):
        first_line = _BOUNDARY_LINE.match(body)
        if first_line is not None:
            return _multipart(body, first_line.group(1).decode("ascii"))
    if media == "application/json" or (media == "" and body.lstrip()[:1] == b"{"):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise MalformedTokenRequest("unreadable JSON body") from None
        if not isinstance(data, dict):
            raise MalformedTokenRequest("JSON body must be an object")
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int)}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedTokenRequest("body is not UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def read_token_request(
    authorization: str | None, content_type: str | None, body: bytes, query: str
) -> TokenRequest:
    """Merge query, body and Basic credentials; Basic wins over body credentials."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    fields.update(_body_fields(content_type, body))
    basic = _basic(authorization)
    client_id, client_secret = (
        basic if basic else (fields.get("client_id"), fields.get("client_secret"))
    )
    return TokenRequest(
        grant_type=fields.get("grant_type"),
        scope=fields.get("scope"),
        client_id=client_id,
        client_secret=client_secret,
    )
