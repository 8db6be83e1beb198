"""What the `dpi marketplace` commands share: the ids they take, the call to `/_sandbox/`
(cli/sandbox_client.py) and how an answer is printed (a one-line summary, or the server's JSON
with `--json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from dpi_server.cli.common import console
from dpi_server.cli.sandbox_client import sandbox_client, target

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


# Options of the booking commands of both sides.
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
