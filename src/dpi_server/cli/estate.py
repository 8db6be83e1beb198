"""`dpi estate ...` and `dpi seed`: the operator creates directory objects, or a larger estate,
straight in the database (as `dpi client ...` does), through services/estate_admin.py."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dpi_server.bootstrap import Container
from dpi_server.cli.common import DatabaseUrlOption, DataDirOption, console, run_action
from dpi_server.domain.actors import OperatorActor
from dpi_server.sandbox.bulk_seed import seed_estate
from dpi_server.services.estate_admin import NewAddress, NewDoctor

app = typer.Typer(help="Create facilities, doctors, addresses and dictionary entries.")
LocaleOption = typer.Option("pl", help="Marketplace locale")
OPERATOR = OperatorActor()


@app.command("facility")
def facility(
    name: str,
    locale: str = LocaleOption,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create a facility (clinic); prints its id."""

    async def action(container: Container) -> None:
        created = await container.services.estate_admin.add_facility(OPERATOR, locale, name)
        console.print(f"facility {created}")

    run_action(data_dir, database_url, action)


@app.command("doctor")
def doctor(
    name: str,
    surname: str,
    facility: list[int] = typer.Option(..., "--facility", "-f", help="Facility id (repeat)"),
    specialization: list[int] = typer.Option([], "--specialization", help="Specialization id"),
    license_number: list[str] = typer.Option([], "--license", help="License number (repeat)"),
    non_commercial: bool = typer.Option(False, "--non-commercial", help="Not listed, no API"),
    profile_url: str | None = typer.Option(None, help="Marketplace profile URL"),
    locale: str = LocaleOption,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create a doctor working at the given facilities; prints its id."""
    new = NewDoctor(
        name,
        surname,
        is_commercial=not non_commercial,
        profile_url=profile_url,
        specialization_ids=tuple(specialization),
        license_numbers=tuple(license_number),
    )

    async def action(container: Container) -> None:
        created = await container.services.estate_admin.add_doctor(OPERATOR, locale, new, facility)
        console.print(f"doctor {created}")

    run_action(data_dir, database_url, action)


@app.command("address")
def address(
    facility_id: int,
    doctor_id: int,
    name: str | None = typer.Option(None, help="The address's name"),
    city: str | None = typer.Option(None),
    post_code: str | None = typer.Option(None),
    street: str | None = typer.Option(None),
    online_only: bool = typer.Option(False, "--online-only"),
    visit_payment: bool = typer.Option(False, "--visit-payment", help="Online payment"),
    commercial_type: str = typer.Option("premium", help="premium or basic"),
    insurance_support: str = typer.Option("private", help="private, insurance, or both"),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create an address of a doctor at one of the doctor's facilities; prints its id."""
    new = NewAddress(
        name,
        city_name=city,
        post_code=post_code,
        street=street,
        is_online_only=online_only,
        visit_payment=visit_payment,
        commercial_type=commercial_type,
        insurance_support=insurance_support,
    )

    async def action(container: Container) -> None:
        created = await container.services.estate_admin.add_address(
            OPERATOR, facility_id, doctor_id, new
        )
        console.print(f"address {created}")

    run_action(data_dir, database_url, action)


@app.command("specialization")
def specialization(
    name: str,
    locale: str = LocaleOption,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create a dictionary specialization; prints its id."""

    async def action(container: Container) -> None:
        created = await container.services.estate_admin.add_specialization(OPERATOR, locale, name)
        console.print(f"specialization {created}")

    run_action(data_dir, database_url, action)


@app.command("service")
def service(
    name: str,
    diagnostic: bool = typer.Option(False, "--diagnostic"),
    specialization: list[int] = typer.Option([], "--specialization", help="Specialization id"),
    locale: str = LocaleOption,
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Create a dictionary service; prints its id."""

    async def action(container: Container) -> None:
        created = await container.services.estate_admin.add_service(
            OPERATOR, locale, name, is_diagnostic=diagnostic, specialization_ids=specialization
        )
        console.print(f"service {created}")

    run_action(data_dir, database_url, action)


def seed(
    facilities: int = typer.Option(..., "--facilities", help="How many facilities"),
    doctors: int = typer.Option(..., "--doctors", help="Doctors per facility"),
    locale: str = LocaleOption,
    snapshot: bool = typer.Option(
        True, "--snapshot/--no-snapshot", help="Make the result the state `reset` returns to"
    ),
    data_dir: Path | None = DataDirOption,
    database_url: str | None = DatabaseUrlOption,
) -> None:
    """Add a larger estate: N facilities with M doctors each (one address and two or three
    services per doctor), one transaction per facility."""

    async def action(container: Container) -> None:
        columns = (
            TextColumn("seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("facilities"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("seed", total=facilities)
            counts = await seed_estate(
                container.services,
                facilities=facilities,
                doctors_per_facility=doctors,
                locale=locale,
                progress=lambda done: progress.update(task, completed=done),
            )
        if snapshot:
            await container.services.reset.snapshot(OPERATOR)
        console.print(
            f"seeded {counts.facilities} facilities, {counts.doctors} doctors, "
            f"{counts.addresses} addresses, {counts.address_services} address services "
            f"(facility ids {counts.facility_ids[0]}-{counts.facility_ids[-1]})"
            + ("; snapshot taken" if snapshot else "")
        )

    run_action(data_dir, database_url, action)
