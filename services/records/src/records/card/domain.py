"""Rules of the medical card as plain Python (REC-8, REC-9, REC-10, REC-12, REC-15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from clinic_common.errors import AppError

from records.card.icd10 import icd10_problem

# REC-9 (O 3.11, O 3.20): interventions that always need informed voluntary consent; the
# organization's legal list (P 4.5, Order 390н) adds service codes as data.
CONSENT_CATEGORIES = frozenset({"invasive", "puncture", "biopsy", "injection", "operation"})
INTERVENTION_CATEGORIES = (*sorted(CONSENT_CATEGORIES), "other")

HEALTH_GROUPS = ("1", "2A", "2B", "3", "3A", "3B", "4", "5")
SURCHARGE_HEALTH_GROUPS = frozenset({"2B", "3", "3A", "3B"})  # REC-12 -> BIL-17


class EntryNotFound(AppError):
    status = 404
    code = "entry_not_found"
    title = "No such entry in this patient's card"


class InvalidIcd10(AppError):
    status = 422
    code = "invalid_icd10"
    title = "The diagnosis needs a WHO ICD-10 category or subcategory code, e.g. J06.9"
    rule = "REC-8"


class InformedConsentRequired(AppError):
    status = 409
    code = "informed_consent_required"
    title = "The intervention needs informed voluntary consent before it is recorded as started"
    rule = "REC-9"


class InterventionRefused(AppError):
    status = 409
    code = "intervention_refused"
    title = "The patient refused this intervention"
    rule = "REC-10"


class AmendmentKindMismatch(AppError):
    status = 422
    code = "amendment_kind_mismatch"
    title = "An amendment corrects an entry of the same kind"
    rule = "REC-8"


class HealthGroupUnchanged(AppError):
    status = 409
    code = "health_group_unchanged"
    title = "The patient already has this health group"
    rule = "REC-12"


def check_icd10(kind: str, code: str | None) -> None:
    """REC-8: a diagnosis carries an ICD-10 code; other entries may carry one, valid if present."""
    if code is None:
        if kind == "diagnosis":
            raise InvalidIcd10("a diagnosis needs an ICD-10 code", reason="missing")
        return
    problem = icd10_problem(code)
    if problem is not None:
        raise InvalidIcd10(f"{code!r} is not a WHO ICD-10 category or subcategory", reason=problem)


def check_amendment(original_kind: str, amendment_kind: str) -> None:
    """REC-8: the correction points to the entry it corrects; the original stays readable."""
    if original_kind != amendment_kind:
        raise AmendmentKindMismatch(f"the entry is a {original_kind}, not a {amendment_kind}")


@dataclass(frozen=True)
class ConsentState:
    """The latest consent or refusal recorded for one intervention code (REC-9, REC-10)."""

    consented: bool
    refused: bool


def needs_consent(category: str, code: str, legal_list: frozenset[str]) -> bool:
    """REC-9: the categories of O 3.11/3.20, and the organization's legal list by service code."""
    return category in CONSENT_CATEGORIES or code in legal_list


def check_intervention_start(*, required: bool, state: ConsentState, legal_ground: str | None) -> bool:
    """REC-9/REC-10: may the intervention be recorded as started? True when it goes ahead without
    consent on a legal ground (O 5.2.11), which is then listed for review."""
    if state.refused and legal_ground is None:
        raise InterventionRefused()
    if not required or state.consented:
        return False
    if legal_ground is None:
        raise InformedConsentRequired()
    return True


def health_group_change(current: str | None, new: str) -> bool:
    """REC-12: record a change; True when billing must hear of it for BIL-17 (to 2B or 3)."""
    if current == new:
        raise HealthGroupUnchanged()
    return new in SURCHARGE_HEALTH_GROUPS


@dataclass(frozen=True)
class EntryVersion:
    id: UUID
    amends_id: UUID | None
    recorded_at: datetime


def current_versions(entries: list[EntryVersion]) -> dict[UUID, UUID]:
    """REC-8: for each original entry, the id of its latest amendment (or itself). Amendments
    chain: an amendment of an amendment corrects the same original."""
    by_id = {e.id: e for e in entries}

    def root(e: EntryVersion) -> UUID:
        seen: set[UUID] = set()
        while e.amends_id is not None and e.amends_id in by_id and e.id not in seen:
            seen.add(e.id)
            e = by_id[e.amends_id]
        return e.id

    latest: dict[UUID, EntryVersion] = {}
    for e in sorted(entries, key=lambda x: x.recorded_at):
        latest[root(e)] = e
    return {k: v.id for k, v in latest.items()}
