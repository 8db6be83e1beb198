"""Receive pushes and answer real-time `slot-booking` calls (behaviour.md §11.3, §12).

Serve it with any ASGI server, e.g. `uvicorn webhook_receiver:app`. Run directly, it posts
two sample events to itself in-process and prints the answers.
"""

from __future__ import annotations

import asyncio
import json

import httpx

import dpi

BLOCKED_PHONES = {"+48000000000"}


def on_notification(notification: dpi.Notification) -> None:
    print("received", notification.name)


def on_realtime(call: dpi.RealtimeNotification) -> dpi.Decision:
    """Deny bookings from blocked phones with custom message 1, allow the rest."""
    if isinstance(call, dpi.SlotBookingNotification):
        request = call.data.visit_booking_request
        if request and request.patient and request.patient.phone in BLOCKED_PHONES:
            return dpi.Deny(error_code=1)
    return dpi.Allow()


app = dpi.WebhookApp(on_notification=on_notification, on_realtime=on_realtime)


async def demo() -> None:
    where = {"facility": {"id": "1"}, "doctor": {"id": "1"}, "address": {"id": "1"}}
    calls = [
        {"name": "break-created", "data": {**where, "break": {"id": "7"}}},
        {
            "name": "slot-booking",
            "data": {
                **where,
                "visit_booking_request": {"patient": {"name": "X", "phone": "+48000000000"}},
            },
        },
    ]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://vendor.example") as http:
        for body in calls:
            answer = await http.post("/docplanner", content=json.dumps(body))
            print(body["name"], "→", answer.status_code, answer.text)


if __name__ == "__main__":
    asyncio.run(demo())
