"""`POST /oauth/v2/token`: the client-credentials grant (behaviour.md §2)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from dpi_server.api.deps import ServicesDep
from dpi_server.api.token_request import MalformedTokenRequest, read_token_request
from dpi_server.domain.errors import TooManyRequests
from dpi_server.services.auth import OAuthError

router = APIRouter(tags=["Authorization"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: OAuthError) -> Response:
    headers = dict(_NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Service"'
    return Response(
        orjson.dumps({"error": error.error, "error_description": error.description}),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


def _too_many(exc: TooManyRequests) -> Response:
    headers = dict(_NO_STORE)
    headers["Retry-After"] = str(exc.retry_after or 60)
    return Response(
        orjson.dumps(
            {"error": "slow_down", "error_description": "Too many token requests; retry later."}
        ),
        status_code=429,
        media_type="application/json",
        headers=headers,
    )


@router.post(
    "/oauth/v2/token",
    operation_id="getAccessToken",
    responses={
        200: {"description": "A bearer token"},
        400: {"description": "RFC 6749 error"},
        401: {"description": "Bad client credentials"},
    },
)
async def token(request: Request, services: ServicesDep) -> Response:
    """Exchange client credentials (Basic, form or multipart body) for a bearer token."""
    body = await request.body()
    source = request.client.host if request.client else "unknown"
    try:
        authorization = request.headers.getlist("authorization")
        if len(authorization) > 1:
            # RFC 6749 §5.2 invalid_request: a parameter given more than once.
            raise MalformedTokenRequest("more than one Authorization header")
        parsed = read_token_request(
            authorization[0] if authorization else None,
            request.headers.get("content-type"),
            body,
            request.url.query,
        )
        limiter = services.rate_limiter
        await limiter.token_gate(parsed.client_id, source, services.clock.now())
        try:
            issued = await services.auth.issue_token(
                grant_type=parsed.grant_type,
                scope=parsed.scope,
                client_id=parsed.client_id,
                client_secret=parsed.client_secret,
            )
        except OAuthError as exc:
            if exc.error == "invalid_client":
                await limiter.token_failed(parsed.client_id, source, services.clock.now())
            raise
        if parsed.client_id:
            await limiter.token_succeeded(parsed.client_id, source)
    except MalformedTokenRequest as exc:
        return _oauth_error(OAuthError("invalid_request", str(exc)))
    except OAuthError as exc:
        return _oauth_error(exc)
    except TooManyRequests as exc:
        return _too_many(exc)
    return Response(
        orjson.dumps(
            {
                "access_token": issued.access_token,
                "expires_in": issued.expires_in,
                "token_type": "bearer",
                "scope": None,
            }
        ),
        media_type="application/json",
        headers=_NO_STORE,
    )
