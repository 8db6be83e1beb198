"""Which public operation (the OpenAPI operationId) a request is, without running the router.

Built once from the app's routes when the app is created. Only the integration API and the
token endpoint are listed: the sandbox and the documentation pages are no operation faults
or the journal care about. Matching follows Starlette's rule, the first route whose path and
method both match wins; lookups run only when something needs the name (faults switched on,
an operator reading the journal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, compile_path

from dpi_server.api.middleware import API_PREFIX

TOKEN_PATH = "/oauth/v2/token"


def is_public(path: str) -> bool:
    """The integration API or the token endpoint: the only paths faults and the journal see."""
    return path.startswith(API_PREFIX) or path == TOKEN_PATH


@dataclass(frozen=True, slots=True)
class _Operation:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    operation_id: str


class OperationTable:
    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        operations: list[_Operation] = []
        # Included routers keep their routes unprefixed; the route contexts carry full paths.
        for context in iter_route_contexts(list(routes)):
            route, path = context.original_route, context.path
            if not isinstance(route, APIRoute) or route.operation_id is None or path is None:
                continue
            if not is_public(path):
                continue
            pattern, _format, _convertors = compile_path(path)
            methods = frozenset(context.methods or route.methods or ())
            operations.append(_Operation(pattern, methods, route.operation_id))
        self._operations = tuple(operations)
        self.token_operation = next(
            (o.operation_id for o in operations if o.pattern.match(TOKEN_PATH)), None
        )
        self.names = frozenset(o.operation_id for o in operations)

    def find(self, method: str, path: str) -> str | None:
        """The operationId of `method path`, or None when no public operation matches."""
        for operation in self._operations:
            if method in operation.methods and operation.pattern.match(path):
                return operation.operation_id
        if method == "HEAD":
            return self.find("GET", path)
        return None
