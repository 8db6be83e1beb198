"""Write the JSON Schema of every notification type into
`src/dpi_server/notification_schemas/` (one file per wire name).

The files are the contract: the tests validate every emitted payload against them and the
OpenAPI document includes them. Run this after changing a shape on purpose, then review the
diff: `.venv/bin/python scripts/notification_schemas.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "dpi_server" / "notification_schemas"
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"}
ID = {"type": "string", "pattern": r"^[0-9]+$"}
TEXT_OR_NULL = {"type": ["string", "null"]}
BY = {"enum": ["user", "doctor", "integration"]}


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
        **extra,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


DEFS: dict[str, Any] = {
    "datetime": DATETIME,
    "facility": obj({"id": ID, "name": {"type": "string"}}),
    "doctor": obj({"id": ID, "name": {"type": "string"}, "surname": {"type": "string"}}),
    "address": obj(
        {"id": ID, "name": TEXT_OR_NULL, "street": TEXT_OR_NULL, "post_code": TEXT_OR_NULL}
    ),
    "address_with_commercial_type": obj(
        {
            "id": ID,
            "name": TEXT_OR_NULL,
            "street": TEXT_OR_NULL,
            "post_code": TEXT_OR_NULL,
            "commercial_type": {"enum": ["premium", "saas-only", "basic"]},
        }
    ),
    "address_service_notification": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "price": {"type": ["integer", "null"]},
            "is_price_from": {"type": "boolean"},
            "is_visible": {"type": "boolean"},
        }
    ),
    "address_service": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "price": {"type": ["integer", "null"]},
            "is_price_from": {"type": "boolean"},
            "is_default": {"type": "boolean"},
            "service_id": {"anyOf": [ID, {"type": "null"}]},
            "description": TEXT_OR_NULL,
            "is_visible": {"type": "boolean"},
        }
    ),
    "patient": obj(
        {
            "name": {"type": "string"},
            "surname": TEXT_OR_NULL,
            "email": TEXT_OR_NULL,
            "phone": {"type": "string"},
            "birth_date": {
                "anyOf": [{"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, {"type": "null"}]
            },
            "nin": TEXT_OR_NULL,
            "gender": {"enum": ["m", "f", None]},
            "insurance_number": TEXT_OR_NULL,
            "is_returning": {"type": "boolean"},
        }
    ),
    "insurance": {
        "anyOf": [
            {"type": "null"},
            obj(
                {
                    "id": ID,
                    "name": {"type": "string"},
                    "plan": {"type": "string"},
                    "plan_id": {"anyOf": [ID, {"const": ""}]},
                }
            ),
        ]
    },
    "signature": {
        "type": "string",
        "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    },
    "booking": obj(
        {
            "id": ID,
            "status": {"enum": ["booked", "canceled"]},
            "start_at": ref("datetime"),
            "end_at": ref("datetime"),
            "duration": {"type": "integer", "minimum": 1},
            "booked_by": BY,
            "canceled_by": {"enum": ["", "user", "doctor", "integration"]},
            "booked_at": ref("datetime"),
            "canceled_at": {"anyOf": [ref("datetime"), {"type": "null"}]},
            "address_service": {"anyOf": [ref("address_service_notification"), {"type": "null"}]},
            "patient": ref("patient"),
            "signature": ref("signature"),
            "comment": TEXT_OR_NULL,
            "insurance": ref("insurance"),
            "visit_payment": {"type": "boolean"},
        }
    ),
    "visit_booking_request": obj(
        {
            "booking_at": ref("datetime"),
            "booking_by": BY,
            "duration": {"type": "integer", "minimum": 1},
            "start_at": ref("datetime"),
            "end_at": ref("datetime"),
            "address_service": {"anyOf": [ref("address_service_notification"), {"type": "null"}]},
            "patient": ref("patient"),
            "signature": ref("signature"),
            "comment": TEXT_OR_NULL,
            "visit_payment": {"type": "boolean"},
        }
    ),
    "break": obj({"id": ID, "since": ref("datetime"), "till": ref("datetime")}),
}
PAYMENT = {"enum": ["paid", "waiting_for_confirmation", "not-paid", "refunded", "charged_back"]}
BOOKING_DATA = {"visit_booking": ref("booking")}
BREAK_DATA = {"break": ref("break")}
SERVICE_DATA = {"address_service": ref("address_service")}
TYPES: dict[str, tuple[str, dict[str, Any], str]] = {
    # name: (title, event-specific data keys, when)
    "slot-booking": (
        "SlotBookingNotification",
        {"visit_booking_request": ref("visit_booking_request")},
        "Real time: a patient is about to book; 2xx allows it.",
    ),
    "slot-booked": ("SlotBookedNotification", BOOKING_DATA, "A visit was booked."),
    "booking-canceled": ("BookingCanceledNotification", BOOKING_DATA, "A visit was canceled."),
    "booking-moved": (
        "BookingMovedNotification",
        {"old_visit_booking": ref("booking"), "new_visit_booking": ref("booking")},
        "A visit moved: the canceled original and its replacement (a new id).",
    ),
    "booking-moving": (
        "BookingMovingNotification",
        {
            "canceling_booking": ref("booking"),
            "creating_booking": ref("visit_booking_request"),
        },
        "Real time: a patient is about to move a visit; 2xx allows it.",
    ),
    "booking-confirmed": (
        "BookingConfirmedNotification",
        BOOKING_DATA,
        "A visit was confirmed.",
    ),
    "booking-payment-status-changed": (
        "BookingPaymentStatusChangedNotification",
        {
            "visit_booking": ref("booking"),
            "visit_payment_status": obj(
                {
                    "status_from": {"anyOf": [PAYMENT, {"type": "null"}]},
                    "status_to": PAYMENT,
                    "changed_at": ref("datetime"),
                }
            ),
        },
        "The online payment of a visit changed status.",
    ),
    "break-created": ("BreakCreatedNotification", BREAK_DATA, "A break was added."),
    "break-moved": ("BreakMovedNotification", BREAK_DATA, "A break's dates changed."),
    "break-removed": ("BreakRemovedNotification", BREAK_DATA, "A break was deleted."),
    "presence-marked": (
        "PresenceMarkedNotification",
        {"visit_booking": ref("booking"), "presence": {"enum": ["PRESENT", "ABSENT"]}},
        "The patient's presence was marked.",
    ),
    "address-service-created": (
        "AddressServiceCreatedNotification",
        SERVICE_DATA,
        "An address service was created.",
    ),
    "address-service-changed": (
        "AddressServiceChangedNotification",
        SERVICE_DATA,
        "An address service was changed.",
    ),
    "address-service-deleted": (
        "AddressServiceDeletedNotification",
        SERVICE_DATA,
        "An address service was deleted.",
    ),
    "address-commercial-type-changed": (
        "AddressCommercialTypeChangedNotification",
        {},
        "The address's commercial type changed.",
    ),
    "address-assigned": ("AddressAssignedNotification", {}, "An address was assigned."),
    "address-unassigned": ("AddressUnassignedNotification", {}, "An address was unassigned."),
}
ADDRESS_EVENTS = {"address-commercial-type-changed", "address-assigned", "address-unassigned"}


def schema(name: str) -> dict[str, Any]:
    title, specific, when = TYPES[name]
    address = "address_with_commercial_type" if name in ADDRESS_EVENTS else "address"
    data = {"facility": ref("facility"), "doctor": ref("doctor"), "address": ref(address)}
    data.update(specific)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://dpi.invalid/notifications/{name}.json",
        "title": title,
        "description": f"`{name}`: {when}",
        **obj({"name": {"const": name}, "data": obj(data), "created_at": ref("datetime")}),
        "$defs": DEFS,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in TYPES:
        text = json.dumps(schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (OUT / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(TYPES)} schemas to {OUT}")


if __name__ == "__main__":
    main()
