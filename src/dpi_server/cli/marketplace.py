"""`dpi marketplace patient ...` / `dpi marketplace doctor ...`: act on a running server's
marketplace side, over `/_sandbox/` (cli/sandbox_client.py), so that an integrator can script
what patients and doctors do and watch the notifications it produces.

Ids are given as the public API shows them: FACILITY DOCTOR ADDRESS, then the booking, break
or address service. Every command prints a short summary, or with `--json` the server's JSON
answer (for `jq` and scripts).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dpi_server.cli.common import console
from dpi_server.cli.marketplace_common import (
    Address,
    Booking,
    Doctor,
    Facility,
    JsonOption,
    address_path,
    booking_action,
    call,
    show,
)
from dpi_server.cli.marketplace_visits import add_visit_commands
from dpi_server.cli.sandbox_client import CredentialsOption, TokenOption, UrlOption

app = typer.Typer(
    help="Act as a patient or as the doctor on a running server's marketplace side.",
    no_args_is_help=True,
)
patient = typer.Typer(help="A patient on the marketplace (bookings pass the real-time gate).")
app.add_typer(patient, name="patient")
add_visit_commands(patient, "patient")


@patient.command("slots")
def patient_slots(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    start: str = typer.Option(..., "--start", help="ISO 8601 with offset"),
    end: str = typer.Option(..., "--end", help="ISO 8601 with offset"),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Free slots of the address in [start, end), with the services each offers."""
    answer = call(
        "GET",
        address_path("patient", facility, doctor, address) + "/slots",
        params={"start": start, "end": end},
        credentials=credentials,
        url=url,
        token=token,
    )
    if as_json:
        show(answer, True, "")
        return
    table = Table("start", "services (id: name, minutes)")
    for slot in answer["slots"]:
        offered = ", ".join(
            f"{s['address_service_id']}: {s['name']}, {s['duration']}" for s in slot["services"]
        )
        table.add_row(slot["start"], offered)
    console.print(table if answer["slots"] else "no free slots")


@patient.command("pay")
def patient_pay(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    status: str = typer.Option(
        "paid",
        "--status",
        help="paid, waiting_for_confirmation, not-paid, refunded or charged_back",
    ),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The visit's online payment succeeds (or takes --status)."""
    booking_action(
        "patient",
        "POST",
        "/payment",
        "payment of",
        (facility, doctor, address, booking),
        (as_json, credentials, url, token),
        {"status": status},
    )


@patient.command("fail-payment")
def patient_fail_payment(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The visit's online payment fails (`not-paid`)."""
    booking_action(
        "patient",
        "POST",
        "/payment",
        "payment of",
        (facility, doctor, address, booking),
        (as_json, credentials, url, token),
        {"status": "not-paid"},
    )
