"""Problems in the OpenAPI document: declared by routes, derived from dependencies (issue 5, point 10)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from clinic_common.auth import Principal, require_roles
from clinic_common.db import SessionDep
from clinic_common.errors import PROBLEM_JSON, AppError, NotFound, install_error_handlers
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import (
    PROBLEM_REF,
    declare_problems,
    install_openapi,
    problems,
    unknown_entity,
)

pytestmark = pytest.mark.unit


class SlotTaken(AppError):
    status = 409
    code = "slot_taken"
    title = "The slot is taken"
    rule = "SCH-4"


class TooLate(AppError):
    status = 422
    code = "booking_too_late"
    title = "Too late to book"
    rule = "SCH-10"


class Thing(BaseModel):
    name: str


async def thing_of_path(thing_id: UUID) -> UUID:
    return thing_id


declare_problems(thing_of_path, NotFound)

StaffDep = Annotated[Principal, require_roles("registrar")]


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_openapi(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/things/{thing_id}")
    async def read(thing: Annotated[UUID, Depends(thing_of_path)]) -> Thing:
        return Thing(name=str(thing))

    @app.post("/bookings", status_code=201, responses=problems(SlotTaken, TooLate, unknown_entity("patient")))
    async def book(body: Thing, _: StaffDep, session: SessionDep, idem: IdempotencyDep) -> Thing:
        return body

    return app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return make_app().openapi()


def responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"][path][method]["responses"]
    return result


def codes(document: dict[str, Any], path: str, method: str) -> dict[str, list[str]]:
    return {
        status: response["x-problem-codes"]
        for status, response in responses(document, path, method).items()
        if "x-problem-codes" in response
    }


def test_a_route_without_parameters_or_dependencies_documents_no_problems(document: dict[str, Any]) -> None:
    assert list(responses(document, "/health", "get")) == ["200"]


def test_declared_and_derived_problems_are_merged_per_status(document: dict[str, Any]) -> None:
    assert codes(document, "/bookings", "post") == {
        "400": ["idempotency_key_invalid", "idempotency_key_required"],
        "401": ["unauthenticated"],
        "403": ["forbidden_role"],
        "409": ["idempotency_key_in_progress", "slot_taken"],
        "413": ["payload_too_large"],
        "415": ["unsupported_media_type"],
        "422": ["booking_too_late", "idempotency_key_reused", "patient_unknown", "validation_failed"],
        "503": ["service_unavailable"],
    }


def test_a_dependency_declares_its_problems_once(document: dict[str, Any]) -> None:
    assert codes(document, "/things/{thing_id}", "get") == {
        "404": ["not_found"],
        "422": ["validation_failed"],
    }


def test_every_problem_is_the_shared_schema_as_problem_json(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                assert response["content"] == {PROBLEM_JSON: {"schema": PROBLEM_REF}}, (path, method, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "code"}


def test_fastapis_validation_error_schema_is_gone(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def test_descriptions_name_the_rule(document: dict[str, Any]) -> None:
    description = responses(document, "/bookings", "post")["409"]["description"]
    assert "`slot_taken` (SCH-4)" in description


def test_headers_of_401_and_503_are_documented(document: dict[str, Any]) -> None:
    booking = responses(document, "/bookings", "post")
    assert "WWW-Authenticate" in booking["401"]["headers"]
    assert "Retry-After" in booking["503"]["headers"]
