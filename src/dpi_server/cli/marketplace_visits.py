"""The visit commands both sides of `dpi marketplace` have: book, cancel, move and confirm,
as the patient (`booked_by` / `canceled_by` user, through the real-time gate) or as the
doctor's calendar (`doctor`, never gated)."""

from __future__ import annotations

from pathlib import Path

import typer

from dpi_server.cli.marketplace_common import (
    Address,
    Booking,
    CommentOption,
    Doctor,
    DurationOption,
    EmailOption,
    Facility,
    JsonOption,
    MoveServiceOption,
    NameOption,
    PhoneOption,
    ReasonOption,
    ServiceOption,
    StartOption,
    SurnameOption,
    ToAddressOption,
    address_path,
    book_body,
    booking_action,
    booking_line,
    call,
    move_body,
    patient_body,
    show,
)
from dpi_server.cli.sandbox_client import CredentialsOption, TokenOption, UrlOption


def add_visit_commands(group: typer.Typer, side: str) -> None:
    """book, cancel, move and confirm under `group`, acting as `side` (patient or doctor)."""
    patient = side == "patient"
    gate = "; a real-time client of the facility is asked first" if patient else ""
    author = "user" if patient else "doctor"

    def book(
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
        body = book_body(
            start, service, duration, patient_body(name, surname, phone, email), comment
        )
        answer = call(
            "POST",
            address_path(side, facility, doctor, address) + "/slots",
            body=body,
            credentials=credentials,
            url=url,
            token=token,
        )
        show(answer, as_json, booking_line(answer, "booked"))

    def cancel(
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
        booking_action(
            side,
            "DELETE",
            "",
            "canceled",
            (facility, doctor, address, booking),
            (as_json, credentials, url, token),
            {"reason": reason} if reason else None,
        )

    def move(
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
        booking_action(
            side,
            "POST",
            "/move",
            "moved to",
            (facility, doctor, address, booking),
            (as_json, credentials, url, token),
            move_body(start, service, duration, to_address),
        )

    def confirm(
        facility: str = Facility,
        doctor: str = Doctor,
        address: str = Address,
        booking: str = Booking,
        as_json: bool = JsonOption,
        credentials: Path | None = CredentialsOption,
        url: str | None = UrlOption,
        token: str | None = TokenOption,
    ) -> None:
        booking_action(
            side,
            "POST",
            "/confirm",
            "confirmed",
            (facility, doctor, address, booking),
            (as_json, credentials, url, token),
        )

    group.command("book", help=f"Book the slot at --start (`booked_by` {author}){gate}.")(book)
    group.command("cancel", help=f"Cancel the visit (`canceled_by` {author}).")(cancel)
    group.command("move", help=f"Move the visit to --start (a new booking id){gate}.")(move)
    confirmer = "user" if patient else "admin"
    group.command("confirm", help=f"Confirm the visit (`confirmed_by` {confirmer}).")(confirm)
