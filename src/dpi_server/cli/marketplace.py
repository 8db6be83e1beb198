"""`dpi marketplace patient ...` / `dpi marketplace doctor ...`: act on a running server's
marketplace side, over `/_sandbox/` (cli/sandbox_client.py), so that an integrator can script
what patients and doctors do and watch the notifications it produces.

Ids are given as the public API shows them: FACILITY DOCTOR ADDRESS, then the booking, break
or address service. Every command prints a short summary, or with `--json` the server's JSON
answer (for `jq` and scripts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dpi_server.cli.common import console
from dpi_server.cli.sandbox_client import (
    CredentialsOption,
    TokenOption,
    UrlOption,
    sandbox_client,
    target,
)

app = typer.Typer(
    help="Act as a patient or as the doctor on a running server's marketplace side.",
    no_args_is_help=True,
)
patient = typer.Typer(help="A patient on the marketplace (bookings pass the real-time gate).")
app.add_typer(patient, name="patient")

JsonOption = typer.Option(False, "--json", help="Print the server's JSON answer")
Facility = typer.Argument(..., help="facility id")
Doctor = typer.Argument(..., help="doctor id")
Address = typer.Argument(..., help="address id")
Booking = typer.Argument(..., help="booking id")


def address_path(side: str, facility: str, doctor: str, address: str) -> str:
    return f"{side}/facilities/{facility}/doctors/{doctor}/addresses/{address}"


def call(
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    credentials: Path | None,
    url: str | None,
    token: str | None,
) -> Any:
    """One `/_sandbox/` request; a refusal prints the server's message and exits 1."""
    with sandbox_client(target(credentials, url, token)) as sandbox:
        return sandbox.call(method, path, json=body, params=params)


def show(answer: Any, as_json: bool, summary: str) -> None:
    if as_json:
        typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        console.print(summary, highlight=False, soft_wrap=True)


def booking_line(b: dict[str, Any], verb: str) -> str:
    service = b["address_service_name"] or "no service"
    line = (
        f"{verb} booking {b['id']}: {b['start_at']} ({b['duration']} min, {service}), "
        f"status {b['status']}, booked_by {b['booked_by']}"
    )
    if b["canceled_by"]:
        line += f", canceled_by {b['canceled_by']}"
    if b["visit_payment"]:
        line += f", payment {b['visit_payment_status'] or 'pending'}"
    return line


def patient_body(
    name: str, surname: str | None, phone: str, email: str | None
) -> dict[str, str | None]:
    return {"name": name, "surname": surname, "phone": phone, "email": email}


def book_body(
    start: str,
    service: str,
    duration: int | None,
    person: dict[str, str | None],
    comment: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"start": start, "address_service_id": service, "patient": person}
    if duration is not None:
        body["duration"] = duration
    if comment is not None:
        body["comment"] = comment
    return body


def move_body(
    start: str, service: str | None, duration: int | None, to_address: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"start": start}
    for key, value in (
        ("address_service_id", service),
        ("duration", duration),
        ("address_id", to_address),
    ):
        if value is not None:
            body[key] = value
    return body


# Options shared by the booking commands of both sides.
StartOption = typer.Option(..., "--start", help="the slot's start, ISO 8601 with offset")
ServiceOption = typer.Option(..., "--service", help="address service id")
DurationOption = typer.Option(
    None, "--duration", help="minutes [default: what the slot offers for the service]"
)
NameOption = typer.Option("Anna", "--name", help="patient's name")
SurnameOption = typer.Option("Nowak", "--surname", help="patient's surname")
PhoneOption = typer.Option("+48500100200", "--phone", help="patient's phone")
EmailOption = typer.Option(None, "--email", help="patient's e-mail")
CommentOption = typer.Option(None, "--comment", help="the patient's comment")
MoveServiceOption = typer.Option(
    None, "--service", help="address service id [default: the visit's own]"
)
ToAddressOption = typer.Option(None, "--to-address", help="another address of the facility")
ReasonOption = typer.Option(None, "--reason", help="why the visit is canceled")


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


@patient.command("book")
def patient_book(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    start: str = StartOption,
    service: str = ServiceOption,
    duration: int | None = DurationOption,
    name: str = NameOption,
    surname: str = SurnameOption,
    phone: str = PhoneOption,
    email: str | None = EmailOption,
    comment: str | None = CommentOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Book the slot at --start; a real-time client of the facility is asked first."""
    body = book_body(start, service, duration, patient_body(name, surname, phone, email), comment)
    answer = call(
        "POST",
        address_path("patient", facility, doctor, address) + "/slots",
        body=body,
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, booking_line(answer, "booked"))


def booking_action(
    side: str,
    method: str,
    action: str,
    verb: str,
    ids: tuple[str, str, str, str],
    options: tuple[bool, Path | None, str | None, str | None],
    body: dict[str, Any] | None = None,
) -> None:
    """One request on a visit (`action` after its path, "" for the visit itself)."""
    facility, doctor, address, booking = ids
    as_json, credentials, url, token = options
    path = address_path(side, facility, doctor, address) + f"/bookings/{booking}{action}"
    answer = call(method, path, body=body, credentials=credentials, url=url, token=token)
    show(answer, as_json, booking_line(answer, verb))


@patient.command("cancel")
def patient_cancel(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    reason: str | None = ReasonOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Cancel the visit (`canceled_by` user)."""
    booking_action(
        "patient",
        "DELETE",
        "",
        "canceled",
        (facility, doctor, address, booking),
        (as_json, credentials, url, token),
        {"reason": reason} if reason else None,
    )


@patient.command("move")
def patient_move(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    start: str = StartOption,
    service: str | None = MoveServiceOption,
    duration: int | None = typer.Option(None, "--duration", help="minutes [default: the same]"),
    to_address: str | None = ToAddressOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Move the visit to --start (a new booking id); a real-time client is asked first."""
    booking_action(
        "patient",
        "POST",
        "/move",
        "moved to",
        (facility, doctor, address, booking),
        (as_json, credentials, url, token),
        move_body(start, service, duration, to_address),
    )


@patient.command("confirm")
def patient_confirm(
    facility: str = Facility,
    doctor: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Confirm the visit (`confirmed_by` user)."""
    booking_action(
        "patient",
        "POST",
        "/confirm",
        "confirmed",
        (facility, doctor, address, booking),
        (as_json, credentials, url, token),
    )


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
