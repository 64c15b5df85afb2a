"""Who may call each route: the expected cells of the authorization matrix, written from the specs.

THE ONE PLACE THESE EXPECTATIONS LIVE. Every route every service serves has a row here, written by
hand from architecture.md § Security (the public allow-list, the roles, the claims) and api.md (the
routes and what each is for), with the reason next to it. Never derive a row from a route's own
declaration: test_authorization_matrix.py checks the declarations (and the live answers) against
this table, fails for any served route that has no row, and fails for a row no service serves.
Whoever adds a route adds its row in the same change.

Reading of the specs behind the rows:
- Public (no token), architecture.md § Security: health, metrics, OpenAPI, the public price list,
  organizations and branches, practitioners, free slots, the hall queue display. `/_dev/clock` is
  public too, but exists in development and test mode only (never in production).
- `admin` runs the platform: its token may lack `org` to act across organizations (§ Security, claims),
  so it may take every staff action; the operations endpoints (parked events, deliveries) are its alone
  (architecture.md § Events: "listed by an admin endpoint").
- `service` is for calls between services; no route takes it yet.
- Object-level limits (own patient, own organization, own branches) come on top; they are tested
  separately in test_authorization_matrix.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Access:
    """`roles` None: anyone, with or without a token. `dev_only`: served in development/test mode only."""

    roles: frozenset[str] | None
    why: str
    dev_only: bool = False

    @property
    def public(self) -> bool:
        return self.roles is None


def public(why: str, *, dev_only: bool = False) -> Access:
    return Access(None, why, dev_only)


def only(*roles: str, why: str) -> Access:
    return Access(frozenset(roles), why)


Route = tuple[str, str]  # (method, path as the service declares it)

ALL_ROLES: Final = frozenset(
    {
        "patient",
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "home_doctor",
        "dispatcher",
        "director",
        "privacy_officer",
        "insurer",
        "admin",
        "service",
    }
)
"""architecture.md § Security, Roles."""

# -- served by every service ----------------------------------------------------------------------

OPERATIONS: Final[dict[Route, Access]] = {
    ("GET", "/healthz"): public("health (§ Security: public)"),
    ("GET", "/readyz"): public("health (§ Security: public)"),
    ("GET", "/metrics"): public("metrics (§ Security: public)"),
    ("GET", "/openapi.json"): public("OpenAPI (§ Security: public)"),
    ("GET", "/docs"): public("OpenAPI, rendered (§ Security: public)"),
    ("GET", "/docs/oauth2-redirect"): public("OpenAPI, rendered (§ Security: public)"),
    ("GET", "/redoc"): public("OpenAPI, rendered (§ Security: public)"),
    ("GET", "/_dev/clock"): public("development clock (README: development mode only)", dev_only=True),
    ("PUT", "/_dev/clock"): public("development clock (README: development mode only)", dev_only=True),
    ("GET", "/v1/admin/dead-letters"): only("admin", why="parked events: an admin endpoint (§ Events)"),
    ("POST", "/v1/admin/dead-letters/{dead_letter_id}/replay"): only(
        "admin", why="replayed from the admin endpoint (§ Events)"
    ),
    ("GET", "/v1/admin/outbox-dead-letters"): only(
        "admin", why="parked outbox rows, listed like parked events (issue 5, 2)"
    ),
    ("POST", "/v1/admin/outbox-dead-letters/{dead_letter_id}/replay"): only(
        "admin", why="parked outbox rows, replayed like parked events (issue 5, 2)"
    ),
    ("GET", "/v1/admin/deliveries"): only("admin", why="outgoing messages' operations view (issue 5, 3)"),
    ("GET", "/v1/admin/deliveries/{delivery_id}"): only(
        "admin", why="outgoing messages' operations view (issue 5, 3)"
    ),
    ("POST", "/v1/admin/deliveries/{delivery_id}/retry"): only(
        "admin", why="outgoing messages' operations view (issue 5, 3)"
    ),
}

# -- each service's own routes (api.md) -----------------------------------------------------------

SCHEDULING: Final[dict[Route, Access]] = {
    ("GET", "/v1/organizations"): public("organizations and branches (§ Security: public)"),
    ("GET", "/v1/organizations/{organization_id}"): public("organizations and branches (public)"),
    ("GET", "/v1/practitioners"): public("practitioners (§ Security: public; SCH-1 published to patients)"),
    ("GET", "/v1/practitioners/{practitioner_id}"): public("practitioners (public, SCH-1)"),
    ("GET", "/v1/practitioners/{practitioner_id}/shifts"): only(
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "home_doctor",
        "dispatcher",
        "director",
        "admin",
        why="working schedules are the organization's own data; patients see free slots instead",
    ),
    ("POST", "/v1/appointments"): only(
        "patient",
        "registrar",
        "call_center",
        "admin",
        why="SCH-3 channels: website/app/cabinet (the patient), call centre, registry",
    ),
    ("GET", "/v1/appointments/{appointment_id}"): only(
        "patient",
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "director",
        "admin",
        why="the patient (own), who books it, the cashier who takes its payment (BIL-4), who serves it",
    ),
    ("GET", "/v1/appointments"): only(
        "patient",
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "director",
        "admin",
        why="as reading one appointment: the patient their own, the staff who book, take payment, serve",
    ),
    ("POST", "/v1/appointments/{appointment_id}/cancel"): only(
        "patient", "registrar", "call_center", "admin", why="SCH-12: cancelled through any channel"
    ),
    ("POST", "/v1/appointments/{appointment_id}/reschedule"): only(
        "patient", "registrar", "call_center", "admin", why="SCH-12: moved through any channel"
    ),
    ("POST", "/v1/appointments/{appointment_id}/delay"): only(
        "doctor", "nurse", "registrar", "admin", why="SCH-8: the practitioner delays; the registry records it"
    ),
    ("POST", "/v1/appointments/{appointment_id}/check-in"): only(
        "registrar", "admin", why="SCH-14: on arrival the registry checks the patient in"
    ),
    ("POST", "/v1/appointments/{appointment_id}/late-arrival"): only(
        "registrar", "admin", why="SCH-7: the registry applies one of the options"
    ),
    ("POST", "/v1/appointments/{appointment_id}/complete"): only(
        "doctor", "nurse", "admin", why="api.md: the practitioner closes the visit"
    ),
    ("POST", "/v1/practitioners/{practitioner_id}/absences"): only(
        "registrar", "director", "admin", why="SCH-11: the clinic cancels and notifies"
    ),
    ("GET", "/v1/practitioners/{practitioner_id}/shift-exceptions"): only(
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "home_doctor",
        "dispatcher",
        "director",
        "admin",
        why="as the weekly shifts: the organization's own schedules",
    ),
    ("POST", "/v1/practitioners/{practitioner_id}/shift-exceptions"): only(
        "director", "admin", why="SCH-1: schedules differ per practitioner, set by the organization"
    ),
    ("GET", "/v1/slots"): public("free slots (§ Security: public)"),
    ("GET", "/v1/queues/{practitioner_id}"): only(
        "registrar", "doctor", "nurse", "director", "admin", why="SCH-14: each patient's place and status"
    ),
    ("POST", "/v1/queues/{practitioner_id}/call-next"): only(
        "doctor", "nurse", "admin", why="SCH-14: the practitioner calls the next patient"
    ),
    ("POST", "/v1/queues/{practitioner_id}/call"): only(
        "doctor", "nurse", "admin", why="SCH-8: the practitioner takes a patient out of turn"
    ),
    ("POST", "/v1/queues/{practitioner_id}/walk-ins"): only(
        "registrar", "admin", why="SCH-3: walk-ins when the registry agrees; emergency care at once"
    ),
    ("POST", "/v1/queues/{practitioner_id}/entries/{entry_id}/enter"): only(
        "doctor", "nurse", "admin", why="SCH-14 (O 3.15): the called patient enters; the room records it"
    ),
    ("GET", "/v1/patients/{patient_id}/attending-practitioner"): only(
        "patient",
        "registrar",
        "call_center",
        "doctor",
        "nurse",
        "director",
        "admin",
        why="SCH-15: the patient their own (O 6.2.1), the personal manager (P 12.2.3), who serves them, "
        "the organization (O 5.2.8)",
    ),
    ("PUT", "/v1/patients/{patient_id}/attending-practitioner"): only(
        "patient",
        "registrar",
        "call_center",
        "director",
        "admin",
        why="SCH-15: the patient chooses (O 6.2.1); under a program the personal manager, call centre or "
        "registry, changes (P 12.2.3); the organization, registry or director, replaces (O 5.2.8)",
    ),
    ("GET", "/v1/branches/{branch_id}/display"): public("the hall queue display (§ Security: public)"),
    ("GET", "/v1/branches/{branch_id}/display/board"): public("the hall queue display (numbers only)"),
    ("GET", "/v1/branches/{branch_id}/display/stream"): public("the hall queue display's live updates"),
}

_CARE_AND_DESK = (
    "registrar",
    "call_center",
    "cashier",
    "doctor",
    "nurse",
    "home_doctor",
    "director",
    "admin",
)
_PROGRAM_READERS = (*_CARE_AND_DESK, "dispatcher", "patient")

BILLING: Final[dict[Route, Access]] = {
    ("GET", "/v1/price-list"): public("the public price list (§ Security; BIL-1: no login)"),
    ("POST", "/v1/price-lists"): only("director", "admin", why="BIL-1: approved by an order of its director"),
    ("GET", "/v1/invoices"): only(
        *_CARE_AND_DESK,
        "patient",
        why="BIL-6: the estimate and act are signed by the medical worker and the patient; the registry, "
        "call centre and cashier take and explain payment; the patient sees their own (cabinet)",
    ),
    ("GET", "/v1/invoices/{invoice_id}"): only(*_CARE_AND_DESK, "patient", why="as the invoice list (BIL-6)"),
    ("POST", "/v1/invoices"): only(
        "registrar",
        "cashier",
        "director",
        "admin",
        why="BIL-5: an invoice issued in advance for a bank transfer",
    ),
    ("POST", "/v1/invoices/{invoice_id}/items"): only(
        "doctor",
        "nurse",
        "home_doctor",
        "registrar",
        "cashier",
        "admin",
        why="BIL-4: services prescribed during the visit, added by who renders or registers them",
    ),
    ("POST", "/v1/invoices/{invoice_id}/apply-credit"): only(
        "cashier",
        "registrar",
        "home_doctor",
        "admin",
        why="BIL-4: whoever takes payment draws on the patient's credit",
    ),
    ("POST", "/v1/payments"): only(
        "cashier",
        "registrar",
        "home_doctor",
        "admin",
        why="BIL-4: at the cashier (O 4.1), the registry (P 12.2.5); at home the doctor takes it (P 7.11)",
    ),
    ("GET", "/v1/payments/{payment_id}"): only(
        *_CARE_AND_DESK, "patient", why="a payment is read with its invoice"
    ),
    ("POST", "/v1/refunds"): only(
        "cashier",
        "director",
        "admin",
        why="BIL-9: paid at the cash desk against the application, or by the director",
    ),
    ("GET", "/v1/refunds"): only(
        "cashier", "director", "admin", why="BIL-9: refunds due, with their deadlines"
    ),
    ("POST", "/v1/refunds/{refund_id}/pay"): only(
        "cashier", "director", "admin", why="BIL-9: paid out at the cash desk"
    ),
    ("GET", "/v1/patients/{patient_id}/balance"): only(
        "registrar",
        "call_center",
        "cashier",
        "director",
        "admin",
        "patient",
        why="SCH-13/BIL-10: who books sees the debt; the patient their own (api.md: patient-facing balance)",
    ),
    ("POST", "/v1/discounts"): only(
        "registrar",
        "director",
        "admin",
        why="BIL-11: the registry takes a patient's application; promotions and approval are the director's",
    ),
    ("POST", "/v1/discounts/{discount_id}/approve"): only(
        "director", "admin", why="BIL-11: individual discounts are approved by the general director (O 12.3)"
    ),
    ("POST", "/v1/programs"): only("director", "admin", why="BIL-12: the organization sets its programs"),
    ("GET", "/v1/programs"): only(
        *_PROGRAM_READERS, why="the program catalogue: who sells, books or renders it, and patients"
    ),
    ("GET", "/v1/programs/{program_id}"): only(*_PROGRAM_READERS, why="as the program catalogue"),
    ("POST", "/v1/enrollments"): only("registrar", "director", "admin", why="BIL-12: sold at the registry"),
    ("GET", "/v1/enrollments/{enrollment_id}"): only(
        *_PROGRAM_READERS, why="BIL-13: who books, renders or bills under a program; the patient their own"
    ),
    ("GET", "/v1/enrollments/{enrollment_id}/coverage"): only(
        *_PROGRAM_READERS,
        why="BIL-13: covered or charged, for whoever books, renders or bills it, and the patient",
    ),
    ("POST", "/v1/enrollments/{enrollment_id}/manager"): only(
        "registrar",
        "director",
        "admin",
        why="P 12.9.1: the personal manager's contacts are given by the organization",
    ),
    ("POST", "/v1/surcharges/{surcharge_id}/accept"): only(
        "registrar",
        "director",
        "admin",
        why="BIL-16/BIL-17: the customer's answer is recorded at the registry",
    ),
    ("POST", "/v1/surcharges/{surcharge_id}/refuse"): only(
        "registrar",
        "director",
        "admin",
        why="BIL-16/BIL-17: the customer's answer is recorded at the registry",
    ),
    ("GET", "/v1/ledger/balances"): only("director", "admin", why="BIL-7: the books"),
    ("GET", "/v1/ledger/reconciliation"): only(
        "director", "admin", why="BIL-7: the balances can be reconciled"
    ),
    ("GET", "/v1/fiscal-documents"): only(
        "cashier", "director", "admin", why="the receipts the cash desk issued"
    ),
    ("GET", "/v1/fiscal-documents/{document_id}"): only(
        "cashier", "director", "admin", why="as the receipts list"
    ),
    ("POST", "/v1/fiscal-documents/{document_id}/corrections"): only(
        "director", "admin", why="a correction receipt names its basis; the organization answers for it"
    ),
    ("POST", "/v1/insurers"): only(
        "director", "admin", why="BIL-19: partner insurers are the organization's contracts"
    ),
    ("PUT", "/v1/insurers/{insurer_id}/claim-layout"): only(
        "director", "admin", why="BIL-19: each insurer's claims-register columns, agreed with it"
    ),
    ("GET", "/v1/insurers/{insurer_id}/claims-register"): only(
        "insurer",
        "director",
        "admin",
        why="BIL-19: the insurer its own register; the organization's director",
    ),
    ("POST", "/v1/insurance-policies"): only(
        "registrar", "admin", why="BIL-8: the registry records the policy shown with the identity document"
    ),
    ("POST", "/v1/partner/coverage-checks"): only(
        "insurer", "admin", why="BIL-19, api.md: partner insurer API, role `insurer` (its own insured only)"
    ),
    ("POST", "/v1/damage-claims"): only(
        "registrar", "director", "admin", why="BIL-10: damage to property is claimed from whoever caused it"
    ),
    ("GET", "/v1/partner/claims"): only(
        "insurer", "admin", why="BIL-19, api.md: partner insurer API, role `insurer`"
    ),
}

# Records beyond registration (issue 8). Clinical staff: doctor, nurse, home_doctor. REC-13: medical
# data only for them (in the patient's care), the patient and the persons the patient allowed; not
# admin or director. REC-19: cabinet access granted by the registry only, in person.
_CLINICAL = ("doctor", "nurse", "home_doctor")
_PATIENT_STAFF = (
    "registrar",
    "call_center",
    "cashier",
    "doctor",
    "nurse",
    "home_doctor",
    "dispatcher",
    "director",
)
RECORDS_DOMAIN: Final[dict[Route, Access]] = {
    ("PATCH", "/v1/patients/{patient_id}"): only(
        "patient",
        "registrar",
        "admin",
        why="REC-19: phone/e-mail by the patient, the rest on a written application",
    ),
    ("POST", "/v1/patients/{patient_id}/representatives"): only(
        "registrar", "admin", why="REC-5: links recorded at the registry with the confirming document"
    ),
    ("POST", "/v1/patients/{patient_id}/trusted-persons"): only(
        "registrar", "admin", why="REC-5: links recorded at the registry with the confirming document"
    ),
    ("GET", "/v1/patients/{patient_id}/links"): only(
        "patient",
        "registrar",
        *_CLINICAL,
        "admin",
        why="REC-5: the registry and the care team; a person their own",
    ),
    ("POST", "/v1/patients/{patient_id}/links/{link_id}/revoke"): only(
        "registrar", "admin", why="REC-5: links are ended at the registry, where they are recorded"
    ),
    ("POST", "/v1/patients/{patient_id}/withholdings"): only(
        "doctor", why="REC-5, O 6.2.15: the attending doctor"
    ),
    ("POST", "/v1/patients/{patient_id}/withholdings/{withholding_id}/lift"): only(
        "doctor", why="REC-5, O 6.2.15: the attending doctor who withholds tells the patient again"
    ),
    ("POST", "/v1/patients/{patient_id}/consents"): only(
        "registrar", *_CLINICAL, "admin", why="REC-2, REC-9: signed before the registry or the medical worker"
    ),
    ("GET", "/v1/patients/{patient_id}/consents"): only(
        "patient", *_PATIENT_STAFF, "admin", why="consents are read like the patient record (REC-2)"
    ),
    ("POST", "/v1/patients/{patient_id}/refusals"): only(
        *_CLINICAL, why="REC-10: co-signed by the medical worker"
    ),
    ("GET", "/v1/organizations/{organization_id}/consent-required-interventions"): only(
        "registrar", *_CLINICAL, "director", "admin", why="REC-9: who records consents and interventions"
    ),
    ("PUT", "/v1/organizations/{organization_id}/consent-required-interventions"): only(
        "director", "admin", why="REC-9, P 4.5: the organization's legal list"
    ),
    ("GET", "/v1/patients/{patient_id}/entries"): only(
        "patient", *_CLINICAL, why="REC-13: the care team, the patient and whom they allowed"
    ),
    ("GET", "/v1/patients/{patient_id}/entries/{entry_id}"): only(
        "patient", *_CLINICAL, why="REC-13: the care team, the patient and whom they allowed"
    ),
    ("POST", "/v1/patients/{patient_id}/entries"): only(
        *_CLINICAL, why="REC-8: written by the medical workers"
    ),
    ("POST", "/v1/patients/{patient_id}/entries/{entry_id}/amendments"): only(
        *_CLINICAL, why="REC-8: corrected by the medical workers"
    ),
    ("POST", "/v1/patients/{patient_id}/referrals"): only(
        "doctor", "home_doctor", why="REC-11: issued by the attending doctor"
    ),
    ("POST", "/v1/patients/{patient_id}/health-group"): only(
        "doctor", "home_doctor", why="REC-12: recorded by the doctor"
    ),
    ("POST", "/v1/patients/{patient_id}/flags"): only(*_CLINICAL, why="REC-15: whoever sees the signs"),
    ("POST", "/v1/patients/{patient_id}/break-glass"): only(
        *_CLINICAL, why="REC-14: a medical worker in an emergency"
    ),
    ("GET", "/v1/audit"): only("privacy_officer", why="api.md: audit trail (privacy officer, REC-13)"),
    ("GET", "/v1/reviews"): only("privacy_officer", why="REC-14: break-glass listed for review"),
    ("POST", "/v1/reviews/{review_id}/close"): only(
        "privacy_officer", why="REC-14: reviewed by the privacy officer"
    ),
    ("POST", "/v1/patients/{patient_id}/results"): only(
        "doctor", "nurse", why="REC-18: results published by the clinical staff"
    ),
    ("POST", "/v1/patients/{patient_id}/result-delays"): only(
        "doctor", "nurse", why="REC-18, O 5.2.4: a late result announced"
    ),
    ("POST", "/v1/document-requests"): only(
        "registrar", "admin", why="REC-16, P 9.5: written application at the registry"
    ),
    ("GET", "/v1/document-requests"): only("registrar", "admin", why="REC-16: tracked until handed over"),
    ("POST", "/v1/document-requests/{request_id}/hand-over"): only(
        "registrar", "admin", why="REC-16: handed over at the registry against a document"
    ),
    ("POST", "/v1/patients/{patient_id}/cabinet-access"): only(
        "registrar", why="api.md: registry only, in person (REC-19, P 10.3: never remotely)"
    ),
    ("GET", "/v1/patients/{patient_id}/cabinet-access"): only(
        "patient",
        "registrar",
        "director",
        "admin",
        why="REC-19: the patient, the registry and the organization",
    ),
    ("POST", "/v1/patients/{patient_id}/cabinet-access/restriction"): only(
        "director", "admin", why="REC-19, P 10.7: the organization restricts access"
    ),
    ("POST", "/v1/patients/{patient_id}/cabinet-access/restoration"): only(
        "director", "admin", why="REC-19, P 10.7: the organization lifts its restriction"
    ),
    ("POST", "/v1/complaints"): only(
        "registrar",
        "call_center",
        "patient",
        "admin",
        why="REC-20: complaints through the registry; REC-21: feedback any way",
    ),
    ("GET", "/v1/complaints"): only(
        "registrar", "director", "admin", why="REC-20: overdue complaints are visible"
    ),
    ("POST", "/v1/complaints/{complaint_id}/decision"): only(
        "director", "admin", why="REC-20, O 11.2: the head of the clinic answers"
    ),
    ("POST", "/v1/patients/{patient_id}/violations"): only(
        "registrar",
        "doctor",
        "nurse",
        "home_doctor",
        "director",
        "admin",
        why="REC-22: recorded by who saw it",
    ),
    ("GET", "/v1/patients/{patient_id}/violations"): only(
        "registrar",
        "doctor",
        "nurse",
        "home_doctor",
        "director",
        "admin",
        why="REC-22: the staff deciding on service",
    ),
    ("POST", "/v1/patients/{patient_id}/service-refusal"): only(
        "director", "admin", why="REC-22, O 8.6: the organization ends the contract"
    ),
    ("POST", "/v1/offers"): only("director", "admin", why="ORG-3: the organization changes its offer"),
    ("GET", "/v1/offers"): only(
        "patient",
        *_PATIENT_STAFF,
        "privacy_officer",
        "admin",
        why="REC-3: the public offer, to anyone of the organization",
    ),
    ("POST", "/v1/patients/{patient_id}/offer-acceptances"): only(
        "registrar", "admin", why="REC-3: acceptance by signature at the registry"
    ),
    ("GET", "/v1/patients/{patient_id}/offer-acceptances"): only(
        "patient",
        "registrar",
        "cashier",
        "director",
        "admin",
        why="REC-3: who concluded it and who bills on it",
    ),
    ("POST", "/v1/patients/{patient_id}/contracts"): only(
        "registrar", "admin", why="REC-4: concluded at the registry before the first visit"
    ),
    ("GET", "/v1/patients/{patient_id}/contracts"): only(
        "patient", "registrar", "cashier", "director", "admin", why="REC-4: the parties and who bills on it"
    ),
    ("GET", "/v1/patients/{patient_id}/notifications"): only(
        "patient",
        "registrar",
        "call_center",
        "admin",
        why="api.md: the patient's messages; the registry and call centre see what went out",
    ),
}

RECORDS: Final[dict[Route, Access]] = {
    ("POST", "/v1/patients"): only(
        "registrar", "call_center", "admin", why="REC-1 registration: registry, call centre on booking"
    ),
    ("GET", "/v1/patients/{patient_id}"): only(
        "patient",
        "registrar",
        "call_center",
        "cashier",
        "doctor",
        "nurse",
        "home_doctor",
        "dispatcher",
        "director",
        "admin",
        why="the patient (own, REC-19 cabinet) and the staff who serve them; not insurer (§ Security: "
        "coverage and claims only) nor privacy officer (the audit trail, REC-13)",
    ),
    **RECORDS_DOMAIN,
}

HOME_VISITS: Final[dict[Route, Access]] = {
    ("GET", "/v1/zones"): only(
        "registrar",
        "call_center",
        "dispatcher",
        "home_doctor",
        "director",
        "admin",
        why="HV-4: who takes, dispatches or makes home visits decides the serving branch",
    ),
    ("POST", "/v1/zone-checks"): only(
        "registrar",
        "call_center",
        "dispatcher",
        "home_doctor",
        "director",
        "admin",
        why="HV-4: the serving branch of an address, for the same people",
    ),
    ("POST", "/v1/home-visits"): only(
        "patient",
        "registrar",
        "call_center",
        "dispatcher",
        "admin",
        why="HV-2/HV-3: the patient (own, cabinet/app), the call centre and registry taking calls, the "
        "dispatcher taking urgent ones",
    ),
    ("GET", "/v1/home-visits"): only(
        "registrar",
        "call_center",
        "dispatcher",
        "home_doctor",
        "director",
        "admin",
        why="api.md day list of a branch: who takes, plans, makes or oversees the visits; not patients",
    ),
    ("GET", "/v1/home-visits/{visit_id}"): only(
        "patient",
        "registrar",
        "call_center",
        "dispatcher",
        "home_doctor",
        "director",
        "admin",
        why="one visit: the same staff, and the patient their own",
    ),
    ("POST", "/v1/dispatch/plans"): only(
        "dispatcher", "admin", why="HV-9: dispatch assigns and orders routes"
    ),
    ("POST", "/v1/home-visits/{visit_id}/assign"): only(
        "dispatcher", "admin", why="HV-9: dispatch assigns a home-care doctor"
    ),
    **{
        ("POST", f"/v1/home-visits/{{visit_id}}/{step}"): only(
            "home_doctor",
            "dispatcher",
            "admin",
            why="HV-7/HV-9: the home-care doctor records the way, arrival and outcome (dispatch for them)",
        )
        for step in ("en-route", "arrive", "complete", "false-call")
    },
    ("POST", "/v1/home-visits/{visit_id}/postpone"): only(
        "dispatcher", "admin", why="HV-6: the organization moves visits in force majeure"
    ),
    ("POST", "/v1/home-visits/{visit_id}/cancel"): only(
        "patient",
        "registrar",
        "call_center",
        "dispatcher",
        "admin",
        why="who took the request, and the patient their own",
    ),
    ("PUT", "/v1/enrollments/{enrollment_id}/addresses"): only(
        "registrar", "admin", why="HV-8: the contract's home-care addresses, recorded by the registry"
    ),
    ("GET", "/v1/enrollments/{enrollment_id}/addresses"): only(
        "patient",
        "registrar",
        "call_center",
        "dispatcher",
        "home_doctor",
        "director",
        "admin",
        why="HV-8: the program's addresses, for the patient (own) and the staff serving them",
    ),
    ("POST", "/v1/enrollments/{enrollment_id}/address-changes"): only(
        "patient",
        "registrar",
        "admin",
        why="HV-8 (P 12.6.4): the patient's application, in the cabinet or at the registry",
    ),
    ("POST", "/v1/deterioration-reports"): only(
        "patient",
        "registrar",
        "call_center",
        "admin",
        why="HV-10 (P 5.5): the patient reports at once, by the cabinet or by calling",
    ),
    ("GET", "/v1/deterioration-reports"): only(
        "doctor",
        "home_doctor",
        "call_center",
        "director",
        "admin",
        why="HV-10: the attending doctor (theirs) and the call centre",
    ),
    ("POST", "/v1/deterioration-reports/{report_id}/acknowledge"): only(
        "doctor",
        "home_doctor",
        "call_center",
        "admin",
        why="HV-10: the attending doctor it was routed to, or the call centre",
    ),
}

TABLE: Final[dict[str, dict[Route, Access]]] = {
    "scheduling": {**OPERATIONS, **SCHEDULING},
    "billing": {**OPERATIONS, **BILLING},
    "records": {**OPERATIONS, **RECORDS},
    "home-visits": {**OPERATIONS, **HOME_VISITS},
}
"""service -> (method, path) -> who may call it."""
