"""Registration rules as plain Python (REC-1, REC-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers

from clinic_common.errors import AppError

from records.patient.iin import InvalidIin, validate_iin


class IinRequired(AppError):
    status = 422
    code = "iin_required"
    title = "An IIN is required for patients of an organization in Kazakhstan"
    rule = "REC-1"


class InvalidIinError(AppError):
    status = 422
    code = "invalid_iin"
    title = "The IIN is not valid"
    rule = "REC-1"


class BirthDateInFuture(AppError):
    status = 422
    code = "birth_date_in_future"
    title = "The date of birth is in the future"
    rule = "REC-1"


class PersonalDataConsentRequired(AppError):
    status = 422
    code = "personal_data_consent_required"
    title = "Registration needs consent to processing of personal data"
    rule = "REC-2"


class DuplicatePatient(AppError):
    status = 409
    code = "patient_already_registered"
    title = "A patient with this IIN is already registered"
    rule = "REC-1"


@dataclass(frozen=True)
class Registration:
    country: str
    birth_date: date
    sex: str | None
    iin: str | None
    personal_data_consent: bool


def check_registration(reg: Registration, today: date) -> None:
    """REC-1: identity data must be complete and, in KZ, the IIN valid and matching; REC-2: consent."""
    if not reg.personal_data_consent:
        raise PersonalDataConsentRequired()
    if reg.birth_date > today:
        raise BirthDateInFuture()
    if reg.country == "KZ" and not reg.iin:
        raise IinRequired()
    if reg.iin:
        try:
            validate_iin(reg.iin, birth_date=reg.birth_date, sex=reg.sex)
        except InvalidIin as exc:
            raise InvalidIinError(str(exc), reason=exc.reason) from exc


def consent_channel_for(roles: frozenset[str]) -> str:
    """Where the consent was given, from who recorded it (REC-2)."""
    if "registrar" in roles:
        return "registry"
    if "call_center" in roles:
        return "call_center"
    if "patient" in roles:
        return "cabinet"
    return "registry"


# --- contacts and identity documents (REC-1) ----------------------------------------------------

IDENTITY_DOCUMENT_KINDS = ("id_card", "passport", "birth_certificate", "residence_permit", "foreign_passport")


class InvalidPhone(AppError):
    status = 422
    code = "invalid_phone"
    title = "The phone number is not a valid number"
    rule = "REC-1"


def normalize_phone(raw: str, country: str) -> str:
    """REC-1: a contact phone the organization can call, stored as E.164 (`+77011234567`).

    Parsed with Google's libphonenumber metadata; a national number is read in the
    organization's country."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def age_on(birth_date: date, today: date) -> int:
    """Full years on `today` (a birthday on 29 February counts from 1 March in other years)."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# --- changes of personal data (REC-19) ----------------------------------------------------------

SELF_SERVICE_FIELDS = frozenset({"phone", "email", "notification_channels"})
"""P 10.6: the patient changes their phone and e-mail in the cabinet (and how they are told)."""


class WrittenApplicationRequired(AppError):
    status = 403
    code = "written_application_required"
    title = "This change needs a written application with supporting documents at the registry"
    rule = "REC-19"


def check_change(fields: frozenset[str], *, by_patient: bool, application_ref: str | None) -> None:
    """REC-19: phone and e-mail are the patient's to change; anything else changes only on a
    written application (recorded by the registry with its reference)."""
    other = fields - SELF_SERVICE_FIELDS
    if not other:
        return
    if by_patient or not application_ref:
        raise WrittenApplicationRequired(
            f"changing {', '.join(sorted(other))} needs a written application", fields=sorted(other)
        )
