"""Registration rules as plain Python (REC-1, REC-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
