"""The four services' OpenAPI documents, read as a client generator would (issue 5, point 10).

The fuzz test (tests/e2e/test_api_fuzz.py) checks the documents against real answers; this one
checks what needs no server: errors are the shared Problem as problem+json, local times carry no
`format: time`, and no operation lacks the problems every request can meet.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

SERVICES = {
    "scheduling": "scheduling",
    "billing": "billing",
    "records": "records",
    "home-visits": "home_visits",
}


@pytest.fixture(scope="module", params=sorted(SERVICES))
def document(request: pytest.FixtureRequest, dev_keys: tuple[Path, Path]) -> dict[str, Any]:
    package = SERVICES[request.param]
    settings = importlib.import_module(f"{package}.config").Settings(
        env="test",
        database_url="postgresql://nobody@127.0.0.1:1/none",  # never reached: no lifespan
        jwt_public_key_file=dev_keys[1],
        run_workers=False,
    )
    doc: dict[str, Any] = importlib.import_module(f"{package}.main").create_app(settings).openapi()
    return doc


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_errors_are_the_shared_problem_as_problem_json(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                where = f"{method.upper()} {path} {status}"
                assert list(response["content"]) == ["application/problem+json"], where
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }, where
                assert response["x-problem-codes"], where
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_no_field_claims_format_time(document: dict[str, Any]) -> None:
    """RFC 3339 `full-time` (JSON Schema `format: time`) needs an offset; branch hours have none."""
    assert '"format": "time"' not in json.dumps(document)


def test_operations_with_input_document_validation_failed(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        if op.get("parameters") or op.get("requestBody"):
            assert "validation_failed" in op["responses"]["422"]["x-problem-codes"], (method, path)
        if op.get("requestBody"):
            assert {"413", "415"} <= op["responses"].keys(), (method, path)


def test_authenticated_operations_document_401_and_403(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        if op.get("security"):
            assert op["responses"]["401"]["x-problem-codes"] == ["unauthenticated"], (method, path)
            assert "403" in op["responses"], (method, path)
        else:
            assert op.get("x-public") is True, (method, path)


def test_business_operations_document_503(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        if path.startswith("/v1/"):
            assert "service_unavailable" in op["responses"]["503"]["x-problem-codes"], (method, path)
