"""The marketplace side of one test estate, driven through `/_sandbox/`: each action is
described once (method, path, body) with the `dpi marketplace ...` command that does the
same, so every scenario can run over HTTP and through the CLI.

Times: the FakeClock starts Monday 2026-01-05 09:00 in Warsaw; availability is published on
Tuesday 09:00-12:00 (tests/api/calendar_support.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from dpi_server.bootstrap import build_app
from dpi_server.testing.estate import TestEstate
from tests.api.calendar_support import TUE, WED, at
from tests.api.notification_support import Marketplace
from tests.conftest import Api
from tests.sandbox.cli_support import run_cli_async

OPERATOR_TOKEN = "operator-token-of-the-tests-0123456789"
PATIENT = {"name": "Anna", "surname": "Nowak", "phone": "+48500100200", "email": None}


@dataclass(frozen=True)
class Action:
    """One marketplace action: the `/_sandbox/` request and the equivalent CLI command."""

    method: str
    path: str
    body: dict[str, Any] | None
    cli: list[str]
    status: int = 200


class Sandbox:
    """The estate's facilities as the marketplace sees them."""

    def __init__(self, api: Api, estate: TestEstate) -> None:
        self.api = api
        self.estate = estate
        self.market = Marketplace(api, estate)
        self._app = build_app(api.container)

    @classmethod
    async def of(cls, api: Api, estate: TestEstate) -> Sandbox:
        await api.operator_headers()
        return cls(api, estate)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    def ids(self, address: int = 0) -> list[str]:
        return [str(x) for x in self.estate.extra["address_paths"][address]]

    def sid(self, address: int = 0, position: int = 0) -> str:
        return self.market.cal.sid(address, position)

    def at(self, side: str, address: int = 0) -> str:
        f, d, a = self.ids(address)
        return f"{side}/facilities/{f}/doctors/{d}/addresses/{a}"

    async def open_tuesday(self, address: int = 0) -> None:
        await self.market.open_tuesday(address)

    async def request(self, action: Action) -> httpx.Response:
        return await self.api.http.request(
            action.method,
            "/_sandbox/" + action.path,
            json=action.body,
            headers=self.headers,
        )

    async def run(self, action: Action, status: int | None = None) -> Any:
        """The action over HTTP; its JSON answer after checking the status."""
        response = await self.request(action)
        assert response.status_code == (status or action.status), response.text
        assert response.headers["content-type"] == "application/json"
        return response.json()

    async def cli(self, *args: str) -> Any:
        """A `dpi` command against the app; exit status 0 and its output."""
        result = await run_cli_async(self._app, OPERATOR_TOKEN, *args)
        assert result.exit_code == 0, result.output
        return result.output

    async def run_cli(self, action: Action) -> Any:
        """The action's CLI command with `--json`: the same JSON answer."""
        return json.loads(await self.cli(*action.cli, "--json"))

    # --- the patient --------------------------------------------------------------------------
    def book(self, hhmm: str, side: str = "patient", address: int = 0) -> Action:
        start, service = at(TUE, hhmm), self.sid(address)
        body = {"start": start, "address_service_id": service, "patient": PATIENT}
        return Action(
            "POST",
            self.at(side, address) + "/slots",
            body,
            [
                "marketplace",
                side,
                "book",
                *self.ids(address),
                "--start",
                start,
                "--service",
                service,
            ],
            201,
        )

    def cancel(self, booking: str, side: str = "patient", address: int = 0) -> Action:
        return Action(
            "DELETE",
            self.at(side, address) + f"/bookings/{booking}",
            None,
            ["marketplace", side, "cancel", *self.ids(address), booking],
        )

    def move(self, booking: str, hhmm: str, side: str = "patient") -> Action:
        start = at(TUE, hhmm)
        return Action(
            "POST",
            self.at(side) + f"/bookings/{booking}/move",
            {"start": start},
            ["marketplace", side, "move", *self.ids(), booking, "--start", start],
            201,
        )

    def confirm(self, booking: str, side: str = "patient") -> Action:
        return Action(
            "POST",
            self.at(side) + f"/bookings/{booking}/confirm",
            None,
            ["marketplace", side, "confirm", *self.ids(), booking],
        )

    def pay(self, booking: str, address: int = 1) -> Action:
        return Action(
            "POST",
            self.at("patient", address) + f"/bookings/{booking}/payment",
            {"status": "paid"},
            ["marketplace", "patient", "pay", *self.ids(address), booking],
        )

    # --- the doctor ---------------------------------------------------------------------------
    def presence(self, booking: str, presence: str = "present") -> Action:
        return Action(
            "POST",
            self.at("doctor") + f"/bookings/{booking}/presence",
            {"presence": presence},
            ["marketplace", "doctor", "presence", *self.ids(), booking, presence],
        )

    def add_break(self, since: str = "12:00", till: str = "13:00") -> Action:
        s, t = at(WED, since), at(WED, till)
        return Action(
            "POST",
            self.at("doctor") + "/breaks",
            {"since": s, "till": t},
            ["marketplace", "doctor", "add-break", *self.ids(), "--since", s, "--till", t],
            201,
        )

    def move_break(self, break_id: str, since: str = "14:00", till: str = "15:00") -> Action:
        s, t = at(WED, since), at(WED, till)
        return Action(
            "POST",
            self.at("doctor") + f"/breaks/{break_id}/move",
            {"since": s, "till": t},
            [
                "marketplace",
                "doctor",
                "move-break",
                *self.ids(),
                break_id,
                "--since",
                s,
                "--till",
                t,
            ],
        )

    def remove_break(self, break_id: str) -> Action:
        return Action(
            "DELETE",
            self.at("doctor") + f"/breaks/{break_id}",
            None,
            ["marketplace", "doctor", "remove-break", *self.ids(), break_id],
        )

    def add_service(self, price: int = 120) -> Action:
        service = str(self.estate.service_ids[2])
        return Action(
            "POST",
            self.at("doctor") + "/services",
            {"service_id": service, "price": price},
            [
                "marketplace",
                "doctor",
                "add-service",
                *self.ids(),
                "--service-id",
                service,
                "--price",
                str(price),
            ],
            201,
        )

    def change_service(self, address_service: str, price: int = 130) -> Action:
        return Action(
            "PATCH",
            self.at("doctor") + f"/services/{address_service}",
            {"price": price},
            [
                "marketplace",
                "doctor",
                "change-service",
                *self.ids(),
                address_service,
                "--price",
                str(price),
            ],
        )

    def delete_service(self, address_service: str) -> Action:
        return Action(
            "DELETE",
            self.at("doctor") + f"/services/{address_service}",
            None,
            ["marketplace", "doctor", "delete-service", *self.ids(), address_service],
        )

    def commercial_type(self, value: str = "saas-only") -> Action:
        return Action(
            "PUT",
            self.at("doctor") + "/commercial-type",
            {"commercial_type": value},
            ["marketplace", "doctor", "commercial-type", *self.ids(), value],
        )

    def assign_address(self, name: str = "New room") -> Action:
        f, d, _ = self.ids()
        return Action(
            "POST",
            f"doctor/facilities/{f}/doctors/{d}/addresses",
            {
                "name": name,
                "city_name": None,
                "street": None,
                "post_code": None,
                "commercial_type": "premium",
                "is_online_only": False,
                "visit_payment": False,
            },
            ["marketplace", "doctor", "assign-address", f, d, "--name", name],
            201,
        )

    def unassign_address(self, address: int = 0) -> Action:
        return Action(
            "DELETE",
            self.at("doctor", address) + "/assignment",
            None,
            ["marketplace", "doctor", "unassign-address", *self.ids(address)],
        )
