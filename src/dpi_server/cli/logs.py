"""Logging for `dpi serve`: uvicorn's format, with credentials masked in every line.

A client that sends its token as `?access_token=...` is refused (401), but the access log would
still keep the token, and logs travel further than the database: to files, collectors and
support tickets. So every handler masks the values of `access_token`, `client_secret` and
`token` query parameters, `Authorization` header values and `Bearer` credentials, whatever
logger the line comes from (issue #12, items 4-5).
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

from dpi_server.api.request_id import RequestIdLogFilter

MASK = "***"

_QUERY_SECRET = re.compile(
    r"(?i)((?:^|[?&;\s\"'])(?:access_token|client_secret|token)=)[^&;\s\"'#]*"
)
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=,]\s*[\"']?)[^\"'\r\n]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")


def redact(text: str) -> str:
    """`text` with every credential it may carry replaced by `***`."""
    if not text:
        return text
    text = _QUERY_SECRET.sub(rf"\1{MASK}", text)
    text = _AUTHORIZATION.sub(rf"\1{MASK}", text)
    return _BEARER.sub(rf"\1{MASK}", text)


class RedactSecrets(logging.Filter):
    """Masks credentials in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # (client_addr, method, full_path, http_version, status_code): keep the shape that
            # uvicorn's AccessFormatter unpacks, mask only the strings.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        else:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's own configuration plus the filter on every handler, and a root handler so
    dpi's loggers print in the same format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": RedactSecrets},
            # The access line ends with the request's X-Request-Id (api/request_id.py).
            "request_id": {"()": RequestIdLogFilter},
        },
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
                "use_colors": None,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": (
                    '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
                    " %(request_id)s"
                ),
            },
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["redact"],
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["redact", "request_id"],
            },
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
    }


def configure_logging(level: str = "INFO") -> dict[str, Any]:
    """Apply the configuration now (so start-up warnings use it) and return it for uvicorn."""
    config = log_config(level)
    logging.config.dictConfig(config)
    return config
