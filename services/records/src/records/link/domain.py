"""Representatives, trusted persons and minors as plain rules (REC-5, REC-6, REC-7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError, Conflict

REPRESENTATIVE_RELATIONS = ("parent", "guardian", "adoptive_parent", "trustee", "power_of_attorney")
TRUSTED_RELATIONS = ("spouse", "parent", "child", "sibling", "relative", "other", "power_of_attorney")


class LinkKind(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    TRUSTED_PERSON = "trusted_person"


@dataclass(frozen=True)
class Allows:
    """What a link allows (REC-5): receive health information, receive documents, sign consent."""

    health_information: bool
    documents: bool
    sign_consent: bool


@dataclass(frozen=True)
class LinkView:
    """A link as the rules need it."""

    id: UUID
    person_id: UUID
    kind: LinkKind
    relation: str
    allows: Allows


@dataclass(frozen=True)
class Minority:
    """The patient's age against the policy's ages (REC-7, P 8.3: 15, or 16 when treated for drug
    addiction)."""

    age: int
    personal_consent_age: int
    seen_alone_age: int  # REC-6: under it, seen only with a representative (P 8.1: 15)

    @property
    def consents_personally(self) -> bool:
        return self.age >= self.personal_consent_age


def minority(age: int, *, drug_addiction_treatment: bool, age_default: int, age_drug: int) -> Minority:
    return Minority(
        age=age,
        personal_consent_age=age_drug if drug_addiction_treatment else age_default,
        seen_alone_age=age_default,
    )


class RelationNotAllowed(AppError):
    status = 422
    code = "relation_not_allowed"
    title = "This relation cannot be recorded for this kind of link"
    rule = "REC-5"


class LinkToSelf(AppError):
    status = 422
    code = "link_to_self"
    title = "A patient cannot be their own representative or trusted person"
    rule = "REC-5"


def check_link(kind: LinkKind, relation: str, *, patient_id: UUID, person_id: UUID) -> None:
    """REC-5: legal representatives are parents, guardians, adoptive parents (and whoever holds a
    power of attorney from one, REC-6); trusted persons are whoever the patient names."""
    if patient_id == person_id:
        raise LinkToSelf()
    allowed = REPRESENTATIVE_RELATIONS if kind is LinkKind.LEGAL_REPRESENTATIVE else TRUSTED_RELATIONS
    if relation not in allowed:
        raise RelationNotAllowed(f"{relation!r} is not one of {', '.join(allowed)}", allowed=list(allowed))


# --- ending links and withholdings (REC-5) -------------------------------------------------------


class LinkAlreadyRevoked(Conflict):
    code = "link_already_revoked"
    title = "The link was already revoked"
    rule = "REC-5"


class WithholdingAlreadyLifted(Conflict):
    code = "withholding_already_lifted"
    title = "The withholding was already lifted"
    rule = "REC-5"


def check_revocable(revoked_at: datetime | None) -> None:
    """REC-5: a link ends once; its row, with who ended it and why, stays for the history."""
    if revoked_at is not None:
        raise LinkAlreadyRevoked(revoked_at=revoked_at.isoformat())


def check_liftable(lifted_at: datetime | None) -> None:
    """REC-5 (O 6.2.15): a withholding is lifted once; the decision and its lifting stay recorded."""
    if lifted_at is not None:
        raise WithholdingAlreadyLifted(lifted_at=lifted_at.isoformat())


# --- who signs consent (REC-6, REC-7) -----------------------------------------------------------


class ConsentSignerNotAllowed(AppError):
    status = 403
    code = "consent_signer_not_allowed"
    title = "This person may not sign consent for the patient"
    rule = "REC-7"


class SignerRole(StrEnum):
    PATIENT = "patient"
    LEGAL_REPRESENTATIVE = "legal_representative"
    TRUSTED_PERSON = "trusted_person"


def consent_signer(
    signer_id: UUID, *, patient_id: UUID, minor: Minority, links: list[LinkView]
) -> SignerRole:
    """REC-7: from the personal-consent age the patient signs personally, nobody else; below it a
    legal representative whose link allows signing, or a person holding a power of attorney from
    one (REC-6, P 8.1)."""
    if minor.consents_personally:
        if signer_id != patient_id:
            raise ConsentSignerNotAllowed(
                f"from {minor.personal_consent_age} the patient signs personally (P 8.3)",
                personal_consent_age=minor.personal_consent_age,
            )
        return SignerRole.PATIENT
    for link in links:
        if link.person_id == signer_id and link.allows.sign_consent:
            if link.kind is LinkKind.LEGAL_REPRESENTATIVE:
                return SignerRole.LEGAL_REPRESENTATIVE
            if link.relation == "power_of_attorney":
                return SignerRole.TRUSTED_PERSON
    raise ConsentSignerNotAllowed(
        f"under {minor.personal_consent_age} a legal representative signs (P 8.1, P 8.3)",
        personal_consent_age=minor.personal_consent_age,
        rule="REC-6",
    )


# --- who reads health information (REC-5, REC-7, REC-13) ----------------------------------------


class DisclosureConsentRequired(AppError):
    status = 403
    code = "disclosure_consent_required"
    title = (
        "From the personal-consent age, the patient's medical secrets are disclosed only with their consent"
    )
    rule = "REC-7"


class LinkDoesNotAllow(AppError):
    status = 403
    code = "link_does_not_allow"
    title = "The link to this patient does not allow this"
    rule = "REC-5"


class HealthInformationWithheld(AppError):
    status = 403
    code = "health_information_withheld"
    title = "The attending doctor withholds health information from the patient (O 6.2.15)"
    rule = "REC-5"


def link_may_read(link: LinkView, *, minor: Minority, patient_consented_disclosure: bool) -> None:
    """REC-5 and REC-7: a linked person reads health information only if the link allows it; a
    legal representative of a patient past the personal-consent age (a parent of a 16-year-old)
    only once the patient has consented to disclosure to them. A trusted person was named by the
    patient: the naming is the consent."""
    if not link.allows.health_information:
        raise LinkDoesNotAllow("the link does not allow receiving health information")
    if (
        link.kind is LinkKind.LEGAL_REPRESENTATIVE
        and minor.consents_personally
        and not patient_consented_disclosure
    ):
        raise DisclosureConsentRequired(personal_consent_age=minor.personal_consent_age)


class RepresentativeRequired(AppError):
    status = 422
    code = "representative_required"
    title = "A patient under 15 is seen only with a legal representative or their attorney"
    rule = "REC-6"


def check_accompanied(
    minor: Minority, companion: UUID | None, links: list[LinkView], *, emergency: bool
) -> None:
    """REC-6 (P 8.1, P 8.2): below the personal-consent age the visit needs a legal
    representative, or a person with a power of attorney from one; emergency care never waits."""
    if emergency or minor.age >= minor.seen_alone_age:
        return
    if companion is not None and any(
        link.person_id == companion
        and (link.kind is LinkKind.LEGAL_REPRESENTATIVE or link.relation == "power_of_attorney")
        for link in links
    ):
        return
    raise RepresentativeRequired()
