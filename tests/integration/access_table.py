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
}

BILLING: Final[dict[Route, Access]] = {
    ("GET", "/v1/price-list"): public("the public price list (§ Security; BIL-1: no login)"),
    ("POST", "/v1/price-lists"): only("director", "admin", why="BIL-1: approved by an order of its director"),
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
}

TABLE: Final[dict[str, dict[Route, Access]]] = {
    "scheduling": {**OPERATIONS, **SCHEDULING},
    "billing": {**OPERATIONS, **BILLING},
    "records": {**OPERATIONS, **RECORDS},
    "home-visits": {**OPERATIONS, **HOME_VISITS},
}
"""service -> (method, path) -> who may call it."""
