"""The OpenAPI document tells the truth about errors: each operation lists every problem it answers.

Front-ends and partners generate clients from `/openapi.json`, so a refusal the document does not
list is a refusal their code cannot handle. One shared schema, `components/schemas/Problem`
(media type `application/problem+json`), describes every error body. What an operation can answer
comes from two places:

- the route itself names the `AppError` classes its use case raises:
  `@router.post(..., responses=problems(SlotTaken, PatientBusy, UnknownEntity.doc("patient")))`;
- the rest is derived from what the route depends on, so nobody has to remember it: a bearer token
  (401), a role check (403), a database session (503), an `Idempotency-Key` (400, 409, 422), any
  parameter or body (422 `validation_failed`), a JSON body (413, 415). Dependencies of a service
  declare theirs once with `declare_problems(dependency, ...)`.

Each response lists its codes in `x-problem-codes`, so the fuzz test can check that every code
answered was declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from clinic_common.auth.deps import RoleChecker, get_principal
from clinic_common.auth.errors import CabinetAccessRequired, ForbiddenRole, Unauthenticated
from clinic_common.auth.policy import GrantChecker
from clinic_common.db.session import get_session
from clinic_common.errors import (
    PROBLEM_JSON,
    AppError,
    PayloadTooLarge,
    ServiceUnavailable,
    UnknownEntity,
    UnsupportedMediaType,
    ValidationFailed,
)
from clinic_common.idempotency import (
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    get_idempotency,
)

__all__ = [
    "PROBLEM_REF",
    "PROBLEM_SCHEMA",
    "ProblemDoc",
    "declare_problems",
    "install_openapi",
    "problems",
    "unknown_entity",
]

PROBLEM_REF: Final = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": (
        "RFC 9457 problem details. `code` is stable and machine-readable; `rule` names the rule of "
        "domain-rules.md that refused the request; `errors` lists schema violations "
        "(`validation_failed`). Other members may carry details of a particular code."
    ),
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "examples": ["https://clinic.example/problems/slot-taken"],
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "examples": ["slot_taken"]},
        "rule": {"type": "string", "examples": ["SCH-4"]},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "detail"],
                "properties": {
                    "pointer": {"type": "string", "description": "RFC 6901 JSON pointer"},
                    "detail": {"type": "string"},
                    "in": {"type": "string", "enum": ["query", "path", "header", "cookie"]},
                },
            },
        },
    },
    "additionalProperties": True,
}

_HEADERS: Final[Mapping[int, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"description": "RFC 6750 challenge", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}}},
}


@dataclass(frozen=True, slots=True)
class ProblemDoc:
    """One problem an operation can answer, as documented."""

    status: int
    code: str
    title: str
    rule: str | None = None

    @classmethod
    def of(cls, error: type[AppError] | ProblemDoc) -> ProblemDoc:
        if isinstance(error, ProblemDoc):
            return error
        return cls(error.status, error.code, error.title, error.rule)

    def describe(self) -> str:
        rule = f" ({self.rule})" if self.rule else ""
        return f"`{self.code}`{rule}: {self.title}"


ProblemLike = type[AppError] | ProblemDoc


def unknown_entity(entity: str) -> ProblemDoc:
    """The 422 `<entity>_unknown` of `UnknownEntity(entity, ...)`, whose code depends on the entity."""
    return ProblemDoc(UnknownEntity.status, f"{entity}_unknown", UnknownEntity.title)


def _response(docs: Iterable[ProblemDoc]) -> dict[str, Any]:
    unique: dict[str, ProblemDoc] = {}
    for doc in docs:
        unique.setdefault(doc.code, doc)
    ordered = sorted(unique.values(), key=lambda d: d.code)
    status = ordered[0].status
    response: dict[str, Any] = {
        "description": "; ".join(d.describe() for d in ordered),
        "content": {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}},
        "x-problem-codes": [d.code for d in ordered],
    }
    if status in _HEADERS:
        response["headers"] = dict(_HEADERS[status])
    return response


def problems(*errors: ProblemLike) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problems its use case can answer. `install_openapi` turns
    them into Problem responses, merged with those the route's dependencies imply."""
    by_status: dict[int, list[ProblemDoc]] = {}
    for error in errors:
        doc = ProblemDoc.of(error)
        by_status.setdefault(doc.status, []).append(doc)
    return {
        status: {
            "description": "; ".join(d.describe() for d in docs),
            "x-problems": [
                {"status": d.status, "code": d.code, "title": d.title, "rule": d.rule} for d in docs
            ],
        }
        for status, docs in sorted(by_status.items())
    }


# Dependency (function, or class of a callable instance) -> the problems it can answer.
_DEPENDENCY_PROBLEMS: dict[Any, tuple[ProblemDoc, ...]] = {}


def declare_problems(dependency: Any, *errors: ProblemLike) -> None:
    """Every route depending on `dependency` (directly or through other dependencies) documents
    `errors`. Pass a function, or a class whose instances are the dependencies."""
    _DEPENDENCY_PROBLEMS[dependency] = tuple(ProblemDoc.of(e) for e in errors)


declare_problems(get_principal, Unauthenticated)
declare_problems(RoleChecker, ForbiddenRole)
declare_problems(GrantChecker, ForbiddenRole, CabinetAccessRequired)
declare_problems(get_session, ServiceUnavailable)
declare_problems(
    get_idempotency,
    IdempotencyKeyInvalid,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    IdempotencyKeyInProgress,
    ServiceUnavailable,
)


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def derived_problems(dependant: Dependant) -> list[ProblemDoc]:
    """What an operation answers because of what it depends on and what it accepts."""
    docs: list[ProblemDoc] = []
    has_parameters = False
    has_body = False
    for dep in _walk(dependant):
        for key in (dep.call, type(dep.call)):
            try:
                docs.extend(_DEPENDENCY_PROBLEMS.get(key, ()))
            except TypeError:  # an unhashable callable declares nothing
                continue
        has_parameters |= bool(dep.path_params or dep.query_params or dep.header_params or dep.cookie_params)
        has_body |= bool(dep.body_params)
    if has_parameters or has_body:
        docs.append(ProblemDoc.of(ValidationFailed))
    if has_body:
        docs.extend(ProblemDoc.of(e) for e in (PayloadTooLarge, UnsupportedMediaType))
    return docs


def _routes(app: FastAPI) -> Iterator[Any]:
    """API routes as served (prefix and dependencies of the routers they were included through)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        yield from (r for r in app.routes if isinstance(r, APIRoute))
        return
    for context in iter_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _declared(response: Mapping[str, Any]) -> list[ProblemDoc]:
    return [ProblemDoc(**entry) for entry in response.get("x-problems", [])]


def document_problems(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the error responses of every operation of `document` as Problem responses."""
    paths: dict[str, Any] = document.get("paths", {})
    for route in _routes(app):
        if not getattr(route, "include_in_schema", True):
            continue
        item = paths.get(route.path_format or route.path)
        if item is None:
            continue
        derived = derived_problems(route.dependant)
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "x-problems" not in responses.get("422", {"x-problems": []}):
                del responses["422"]  # FastAPI's HTTPValidationError; ours is a Problem
            by_status: dict[int, list[ProblemDoc]] = {}
            for key in [k for k, r in responses.items() if "x-problems" in r]:
                for doc in _declared(responses.pop(key)):
                    by_status.setdefault(doc.status, []).append(doc)
            for doc in derived:
                by_status.setdefault(doc.status, []).append(doc)
            for status, docs in by_status.items():
                responses[str(status)] = _response(docs)
            operation["responses"] = dict(sorted(responses.items()))
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    _drop_unreferenced(document, ("HTTPValidationError", "ValidationError"))
    return document


def _drop_unreferenced(document: dict[str, Any], names: Iterable[str]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    text = repr(document.get("paths", {})) + repr({k: v for k, v in schemas.items() if k not in names})
    for name in names:
        if f"#/components/schemas/{name}'" not in text:
            schemas.pop(name, None)


TEXT_NOTE: Final = (
    "Errors are RFC 9457 problems (`application/problem+json`, schema `Problem`); each operation lists "
    "the codes it answers per status in `x-problem-codes`. Text values never contain U+0000, which "
    "PostgreSQL cannot store: a request carrying it gets 422 `validation_failed`."
)


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and `/openapi.json`) return the document with truthful problems."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = document_problems(app, generate())
            info = document.setdefault("info", {})
            info["description"] = "\n\n".join(d for d in (info.get("description"), TEXT_NOTE) if d)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
