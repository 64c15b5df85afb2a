"""A minimal app with the clinic's error handling and body cap, served by a real uvicorn process in
test_http_keepalive.py (not a test module itself)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from clinic_common.errors import install_error_handlers
from clinic_common.http import BodySizeLimitMiddleware

CAP = 1000

app = FastAPI()
install_error_handlers(app)


@app.post("/echo")
async def echo(payload: dict[str, Any]) -> dict[str, int]:
    return {"keys": len(payload)}


@app.post("/boom")
async def boom(request: Request) -> None:
    """Fails before reading its body, as a bug would."""
    raise RuntimeError("a bug")


@app.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


app.add_middleware(BodySizeLimitMiddleware, max_bytes=CAP)
