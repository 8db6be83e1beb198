"""No use case takes HTTP shapes: no request, no principal, no path tuple, no raw id string
(ARCHITECTURE.md "Actors, core commands and events"). The API parses; the services receive
typed ids, parsed inputs and a scope or actor."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from types import ModuleType

import pytest

import dpi_server.services
from dpi_server.services.principal import Principal

# Services whose ids are the public OAuth client ids or secrets an operator types, not path
# segments: they stay strings by nature.
_CREDENTIAL_SERVICES = {
    "AuthService",
    "ClientAdminService",
    "NotificationAdminService",
    "RateLimiter",
}
_HTTP = ("fastapi", "starlette", "httpx")


def _service_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"dpi_server.services.{info.name}")
        for info in pkgutil.iter_modules(dpi_server.services.__path__)
    ]


def _use_cases() -> list[tuple[str, typing.Any]]:
    found = []
    for module in _service_modules():
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
                continue
            if not name.endswith("Service") or name in _CREDENTIAL_SERVICES:
                continue
            for method_name, method in vars(cls).items():
                if inspect.iscoroutinefunction(method) and not method_name.startswith("_"):
                    found.append((f"{name}.{method_name}", method))
    return found


USE_CASES = _use_cases()


def _problems(method: typing.Any) -> list[str]:
    hints = typing.get_type_hints(method)
    problems = []
    for name in inspect.signature(method).parameters:
        hint = hints.get(name)
        text = str(hint)
        parts = (hint, *typing.get_args(hint))
        if any(p is Principal or getattr(p, "__module__", "").startswith(_HTTP) for p in parts):
            problems.append(f"{name}: {text}")
        if typing.get_origin(hint) is tuple and str in typing.get_args(hint):
            problems.append(f"{name}: a tuple of strings (a path?)")
        if (
            (name.endswith("_id") or name in ("ids", "path"))
            and hint is not None
            and str
            in (
                hint,
                *typing.get_args(hint),
            )
        ):
            problems.append(f"{name}: a raw id string")
    return problems


def test_the_use_cases_are_found() -> None:
    """The check reaches the booking, calendar, address-service and directory use cases."""
    names = {name for name, _ in USE_CASES}
    assert {
        "BookingService.book",
        "CalendarService.replace_slots",
        "AccessService.address",
    } <= names
    assert len(USE_CASES) > 30


@pytest.mark.parametrize(("name", "method"), USE_CASES, ids=[n for n, _ in USE_CASES])
def test_use_case_takes_no_http_shapes(name: str, method: typing.Any) -> None:
    """Each public use case's parameters are typed ids, parsed inputs and scopes."""
    assert _problems(method) == []
