"""Who acts: the four kinds of caller every core command is given (ARCHITECTURE.md "Actors").

An API client acts through the public API; patients and doctors act on the marketplace side
(the sandbox, the CLI, the tests); operators run the platform. The actor decides who may do
what (estate checks apply to API clients only) and what a change records about its author
(`booked_by`, `canceled_by`, and the origin that keeps a client's own changes from being
echoed back to it as notifications).
"""

from __future__ import annotations

from dataclasses import dataclass

# The wire values of `booked_by` / `canceled_by` (decisions.md "Bookings").
BY_INTEGRATION = "integration"
BY_USER = "user"
BY_DOCTOR = "doctor"


@dataclass(frozen=True, slots=True)
class IntegrationActor:
    """An authenticated API client; `client_pk` is its database key."""

    client_pk: int
    locale: str
    features: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        return "integration"


@dataclass(frozen=True, slots=True)
class PatientActor:
    """A patient on the marketplace (Docplanner's website or app)."""

    @property
    def kind(self) -> str:
        return "patient"


@dataclass(frozen=True, slots=True)
class DoctorActor:
    """A doctor (or the clinic's staff) working in the Docplanner calendar."""

    @property
    def kind(self) -> str:
        return "doctor"


@dataclass(frozen=True, slots=True)
class OperatorActor:
    """Whoever runs the platform: the CLI, the demo seed, the sandbox's console."""

    @property
    def kind(self) -> str:
        return "operator"


Actor = IntegrationActor | PatientActor | DoctorActor | OperatorActor


@dataclass(frozen=True, slots=True)
class Origin:
    """What an event remembers of its author: the kind, and the API client if there was one."""

    kind: str
    client_pk: int | None = None


def origin_of(actor: Actor) -> Origin:
    if isinstance(actor, IntegrationActor):
        return Origin(actor.kind, actor.client_pk)
    return Origin(actor.kind)


def author_value(actor: Actor) -> str:
    """`booked_by` / `canceled_by` of a change made by `actor`.

    Operators act in the doctor's calendar on the clinic's behalf, so their changes read as the
    doctor's.
    """
    if isinstance(actor, IntegrationActor):
        return BY_INTEGRATION
    if isinstance(actor, PatientActor):
        return BY_USER
    return BY_DOCTOR
