"""Billing's corrections to its OpenAPI document: payments and refunds require an Idempotency-Key
(api.md: 400 `idempotency_key_required` without it), so the document marks the header required."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

KEY_REQUIRED: frozenset[tuple[str, str]] = frozenset({("post", "/v1/payments"), ("post", "/v1/refunds")})


def require_idempotency_keys(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        for method, path in KEY_REQUIRED:
            operation = document.get("paths", {}).get(path, {}).get(method, {})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key":
                    parameter["required"] = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]
