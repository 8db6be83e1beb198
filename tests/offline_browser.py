"""A browser with the network cut: every request to the app's origin is answered by the app in
this process (through ASGI, no socket), any other host is refused and recorded. The browser
keeps the cookies; the test's httpx client adds none of its own."""

from __future__ import annotations

import httpx
from playwright.async_api import Route


class OfflineRoutes:
    def __init__(self, origin: str, http: httpx.AsyncClient) -> None:
        self.origin = origin
        self.http = http
        self.refused: list[str] = []

    async def handle(self, route: Route) -> None:
        request = route.request
        if not request.url.startswith(self.origin + "/"):
            self.refused.append(request.url)
            await route.abort("internetdisconnected")
            return
        headers = {k: v for k, v in (await request.all_headers()).items() if k.lower() != "host"}
        self.http.cookies.clear()
        answer = await self.http.request(
            request.method,
            request.url.removeprefix(self.origin),
            headers=headers,
            content=request.post_data_buffer,
        )
        await route.fulfill(
            status=answer.status_code, headers=dict(answer.headers), body=answer.content
        )
