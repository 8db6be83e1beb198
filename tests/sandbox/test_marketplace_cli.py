"""`dpi marketplace ...` against the in-process app: the README's "Driving the marketplace"
scenario step by step, the commands' summaries and their refusals (exit status 1 with the
server's message)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from string import Template
from typing import Any

import pytest

from tests.api.calendar_support import TUE, at
from tests.api.notification_support import Answer, Receiver, configure
from tests.api.support import success
from tests.conftest import Api
from tests.sandbox.marketplace_support import OPERATOR_TOKEN, Sandbox, run_cli_async

README = Path(__file__).parents[2] / "README.md"


def scenario_lines() -> list[str]:
    """The first shell block of the README's "Driving the marketplace", continuation lines
    joined."""
    text = README.read_text()
    section = text[text.index("## Driving the marketplace") :]
    block = section[section.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    return block.replace("\\\n", " ").splitlines()


async def pull(api: Api, sb: Sandbox) -> Any:
    return success(
        await api.http.get("/api/v3/integration/notifications", headers=sb.estate.headers)
    )


@pytest.fixture
async def sb(api: Api) -> Sandbox:
    return await Sandbox.of(api, await api.estate())


async def test_the_readme_scenario(api: Api, sb: Sandbox) -> None:
    """Patient books → the integrator pulls `slot-booked` → the doctor moves the visit → the
    integrator receives `booking-moved`: the README's `dpi` lines, with the test estate's
    ids and a day after the test clock's today."""
    f, d, a = sb.ids()
    variables = {"F": f, "D": d, "A": a, "S": sb.sid(), "DAY": TUE}
    lines = scenario_lines()
    ran: list[str] = []
    pulled: list[str] = []

    for number, line in enumerate(lines):
        if "calendar/enable" in line:
            await sb.open_tuesday()  # the README's enable + PUT slots, through the API
        elif line.startswith("dpi ") or line.startswith("BOOKING=$(dpi "):
            command = Template(re.sub(r"^BOOKING=\$\((.*) \| jq -r \.id\)$", r"\1", line))
            args = shlex.split(command.substitute(variables))[1:]
            output = await sb.cli(*args)
            ran.append(args[2])
            if line.startswith("BOOKING="):
                variables["BOOKING"] = json.loads(output)["id"]
        elif line.strip().endswith("/api/v3/integration/notifications"):
            expected = json.loads(lines[number + 1].split('"name":')[1].split(",")[0])
            notification = await pull(api, sb)
            assert notification["name"] == expected
            pulled.append(notification["name"])
            if expected == "slot-booked":
                visit = notification["data"]["visit_booking"]
                assert (visit["id"], visit["booked_by"]) == (variables["BOOKING"], "user")
            else:
                old = notification["data"]["old_visit_booking"]
                new = notification["data"]["new_visit_booking"]
                assert (old["id"], old["canceled_by"]) == (variables["BOOKING"], "doctor")
                assert new["start_at"] == at(TUE, "10:00")

    assert ran == ["slots", "book", "move"]
    assert pulled == ["slot-booked", "booking-moved"]


class TestOutput:
    async def test_book_prints_a_summary(self, sb: Sandbox) -> None:
        await sb.open_tuesday()

        output = await sb.cli(*sb.book("09:00").cli)

        service = f"Consultation {sb.estate.extra['n']}"
        assert re.fullmatch(
            rf"booked booking \d+: {re.escape(at(TUE, '09:00'))} \(30 min, {service}\), "
            r"status booked, booked_by user",
            output.strip(),
        ), output

    async def test_slots_print_a_table(self, sb: Sandbox) -> None:
        await sb.open_tuesday()
        f, d, a = sb.ids()

        output = await sb.cli(
            "marketplace", "patient", "slots", f, d, a,
            "--start", at(TUE, "09:00"), "--end", at(TUE, "09:10"),
        )  # fmt: skip

        assert at(TUE, "09:00") in output
        assert f"{sb.sid()}: Consultation" in output

    async def test_a_doctor_cancel_says_who_canceled(self, sb: Sandbox) -> None:
        await sb.open_tuesday()
        booked = await sb.run(sb.book("09:00"))

        output = await sb.cli(*sb.cancel(booked["id"], "doctor").cli)

        assert "status canceled, booked_by user, canceled_by doctor" in output


class TestRefusals:
    async def test_an_unknown_booking_exits_1_with_the_message(self, api: Api, sb: Sandbox) -> None:
        result = await run_cli_async(sb._app, OPERATOR_TOKEN, *sb.confirm("987654321").cli)

        assert result.exit_code == 1
        assert "404 Object not found" in result.output

    async def test_a_bad_input_exits_1_with_the_field_map(self, sb: Sandbox) -> None:
        await sb.open_tuesday()

        result = await run_cli_async(sb._app, OPERATOR_TOKEN, *sb.book("09:00").cli, "--phone", "")

        assert result.exit_code == 1
        assert "400 Invalid arguments (patient.phone:" in result.output

    async def test_a_vendors_denial_exits_1(self, api: Api, sb: Sandbox) -> None:
        vendor = Receiver(answer=lambda _r: Answer(409, b'{"error_code": 5}'))
        try:
            await configure(api, sb.estate, realtime_url=vendor.url)
            await sb.open_tuesday()

            result = await run_cli_async(sb._app, OPERATOR_TOKEN, *sb.book("09:00").cli)
        finally:
            vendor.close()

        assert result.exit_code == 1
        assert "409 The booking was not accepted by the clinic's system" in result.output
        assert "error_code 5" in result.output
