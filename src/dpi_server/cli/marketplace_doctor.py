"""`dpi marketplace doctor ...`: the doctor working in the Docplanner calendar (bookings for a
patient, presence, breaks, address services, the address's commercial type and assignment).
Registered under `dpi marketplace` in cli/main.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

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

doctor = typer.Typer(help="The doctor in the Docplanner calendar (never gated).")
add_visit_commands(doctor, "doctor")
BreakId = typer.Argument(..., help="break id")
AddressServiceId = typer.Argument(..., help="address service id")
SinceOption = typer.Option(..., "--since", help="ISO 8601 with offset")
TillOption = typer.Option(..., "--till", help="ISO 8601 with offset")


def _at(facility: str, doctor_id: str, address: str, tail: str) -> str:
    return address_path("doctor", facility, doctor_id, address) + tail


def _break_line(b: dict[str, Any], verb: str) -> str:
    return f"{verb} break {b['id']}: {b['since']} - {b['till']}"


def _service_line(s: dict[str, Any], verb: str) -> str:
    price = "no price" if s["price"] is None else f"price {s['price']}"
    return f"{verb} address service {s['id']}: {s['name']}, {price}"


def _address_line(a: dict[str, Any], verb: str) -> str:
    state = "assigned" if a["is_assigned"] else "unassigned"
    return f"{verb} address {a['id']}: {a['name']}, {a['commercial_type']}, {state}"


@doctor.command("presence")
def doctor_presence(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    booking: str = Booking,
    presence: str = typer.Argument(..., help="present or absent"),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Mark the patient of a started visit present or absent."""
    booking_action(
        "doctor",
        "POST",
        "/presence",
        f"marked {presence}:",
        (facility, doctor_id, address, booking),
        (as_json, credentials, url, token),
        {"presence": presence},
    )


@doctor.command("add-break")
def doctor_add_break(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    since: str = SinceOption,
    till: str = TillOption,
    description: str | None = typer.Option(None, "--description"),
    coupled: bool = typer.Option(
        False, "--coupled", help="mirror it to the coupled online/offline address"
    ),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Add a break to the calendar."""
    body = {
        "since": since,
        "till": till,
        "description": description,
        "apply_on_coupled_addresses": coupled,
    }
    answer = call(
        "POST",
        _at(facility, doctor_id, address, "/breaks"),
        body=body,
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _break_line(answer, "added"))


@doctor.command("move-break")
def doctor_move_break(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    break_id: str = BreakId,
    since: str = SinceOption,
    till: str = TillOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Move a break to other dates."""
    answer = call(
        "POST",
        _at(facility, doctor_id, address, f"/breaks/{break_id}/move"),
        body={"since": since, "till": till},
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _break_line(answer, "moved"))


@doctor.command("remove-break")
def doctor_remove_break(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    break_id: str = BreakId,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Remove a break."""
    answer = call(
        "DELETE",
        _at(facility, doctor_id, address, f"/breaks/{break_id}"),
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _break_line(answer, "removed"))


PriceOption = typer.Option(None, "--price", help="price (whole units)")
DescriptionOption = typer.Option(None, "--description")
DefaultDurationOption = typer.Option(None, "--default-duration", help="minutes")


def _service_fields(
    price: int | None, description: str | None, default_duration: int | None
) -> dict[str, Any]:
    given = {"price": price, "description": description, "default_duration": default_duration}
    return {k: v for k, v in given.items() if v is not None}


@doctor.command("add-service")
def doctor_add_service(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    service_id: str = typer.Option(..., "--service-id", help="dictionary service id"),
    price: int | None = PriceOption,
    description: str | None = DescriptionOption,
    default_duration: int | None = DefaultDurationOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Offer a dictionary service at the address."""
    body = {"service_id": service_id, **_service_fields(price, description, default_duration)}
    answer = call(
        "POST",
        _at(facility, doctor_id, address, "/services"),
        body=body,
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _service_line(answer, "added"))


@doctor.command("change-service")
def doctor_change_service(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    address_service: str = AddressServiceId,
    price: int | None = PriceOption,
    description: str | None = DescriptionOption,
    default_duration: int | None = DefaultDurationOption,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Change an address service (options left out stay as they are)."""
    answer = call(
        "PATCH",
        _at(facility, doctor_id, address, f"/services/{address_service}"),
        body=_service_fields(price, description, default_duration),
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _service_line(answer, "changed"))


@doctor.command("delete-service")
def doctor_delete_service(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    address_service: str = AddressServiceId,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Stop offering an address service."""
    answer = call(
        "DELETE",
        _at(facility, doctor_id, address, f"/services/{address_service}"),
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _service_line(answer, "deleted"))


@doctor.command("commercial-type")
def doctor_commercial_type(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    commercial_type: str = typer.Argument(..., help="premium, saas-only or basic"),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """Change the address's commercial type."""
    answer = call(
        "PUT",
        _at(facility, doctor_id, address, "/commercial-type"),
        body={"commercial_type": commercial_type},
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _address_line(answer, "changed"))


@doctor.command("assign-address")
def doctor_assign_address(
    facility: str = Facility,
    doctor_id: str = Doctor,
    name: str = typer.Option(..., "--name", help="the address's name"),
    city: str | None = typer.Option(None, "--city"),
    street: str | None = typer.Option(None, "--street"),
    post_code: str | None = typer.Option(None, "--post-code"),
    commercial_type: str = typer.Option("premium", "--commercial-type"),
    online_only: bool = typer.Option(False, "--online-only"),
    visit_payment: bool = typer.Option(False, "--visit-payment", help="online payment"),
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """A new address of the doctor at the facility."""
    body = {
        "name": name,
        "city_name": city,
        "street": street,
        "post_code": post_code,
        "commercial_type": commercial_type,
        "is_online_only": online_only,
        "visit_payment": visit_payment,
    }
    answer = call(
        "POST",
        f"doctor/facilities/{facility}/doctors/{doctor_id}/addresses",
        body=body,
        credentials=credentials,
        url=url,
        token=token,
    )
    show(answer, as_json, _address_line(answer, "assigned"))


def _assignment(
    method: str, verb: str, ids: tuple[str, str, str], options: tuple[Any, ...]
) -> None:
    as_json, credentials, url, token = options
    answer = call(method, _at(*ids, "/assignment"), credentials=credentials, url=url, token=token)
    show(answer, as_json, _address_line(answer, verb))


@doctor.command("reassign-address")
def doctor_reassign_address(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The doctor works at an unassigned address again."""
    _assignment(
        "PUT", "assigned", (facility, doctor_id, address), (as_json, credentials, url, token)
    )


@doctor.command("unassign-address")
def doctor_unassign_address(
    facility: str = Facility,
    doctor_id: str = Doctor,
    address: str = Address,
    as_json: bool = JsonOption,
    credentials: Path | None = CredentialsOption,
    url: str | None = UrlOption,
    token: str | None = TokenOption,
) -> None:
    """The doctor leaves the address (it is disabled, its history kept)."""
    _assignment(
        "DELETE", "unassigned", (facility, doctor_id, address), (as_json, credentials, url, token)
    )
