"""BodySizeLimitMiddleware: 413 problem+json by Content-Length or while the body streams in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.types import Message, Receive, Scope, Send

from clinic_common.errors import install_error_handlers
from clinic_common.http import BodySizeLimitMiddleware

pytestmark = pytest.mark.unit

CAP = 1000


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(payload: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(payload)}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=CAP)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def assert_413(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["status"], body["code"]) == (413, "payload_too_large")
    assert {"type", "title", "detail"} <= body.keys()


def chunks(total: int, size: int = 100) -> Callable[[], AsyncIterator[bytes]]:
    async def gen() -> AsyncIterator[bytes]:
        sent = 0
        while sent < total:
            n = min(size, total - sent)
            yield b" " * n
            sent += n

    return gen


def json_of_size(n: int) -> bytes:
    """A JSON object of exactly n bytes."""
    body = json.dumps({"k": "x" * (n - 9)}).encode()
    assert len(body) == n
    return body


async def test_content_length_over_cap_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/echo", content=json_of_size(CAP + 1), headers={"Content-Type": "application/json"}
    )
    assert "content-length" in r.request.headers
    assert_413(r)


async def test_content_length_over_cap_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    r = await client.post("/raw", content=b"", headers={"Content-Length": str(10 * CAP)})
    assert_413(r)


@pytest.mark.parametrize("path", ["/echo", "/raw"])
async def test_streamed_body_without_length_over_cap_is_413(client: httpx.AsyncClient, path: str) -> None:
    r = await client.post(path, content=chunks(CAP + 50)(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert_413(r)


async def test_streamed_body_under_cap_passes(client: httpx.AsyncClient) -> None:
    r = await client.post("/raw", content=chunks(CAP)())
    assert r.status_code == 200, r.text
    assert r.json() == {"size": CAP}


async def test_body_at_cap_passes(client: httpx.AsyncClient) -> None:
    body = json_of_size(CAP)
    assert len(body) == CAP
    r = await client.post("/echo", content=body, headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (200, {"keys": 1})


async def test_small_requests_pass(client: httpx.AsyncClient) -> None:
    assert (await client.get("/ping")).json() == {"ok": "yes"}
    assert (await client.post("/echo", json={"a": 1, "b": 2})).json() == {"keys": 2}


async def test_malformed_content_length_is_left_to_the_server(client: httpx.AsyncClient) -> None:
    r = await client.post("/raw", content=b"abc", headers={"Content-Length": "abc"})
    assert r.status_code != 413


async def test_bare_asgi_app_streaming_over_cap_gets_413() -> None:
    """Outside FastAPI (no exception handlers) the middleware itself answers 413."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})

    transport = httpx.ASGITransport(app=BodySizeLimitMiddleware(app, max_bytes=CAP))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        assert_413(await c.post("/x", content=chunks(2 * CAP)()))
        ok = await c.post("/x", content=chunks(CAP)())
        assert (ok.status_code, ok.text) == (200, "read")


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await BodySizeLimitMiddleware(app, max_bytes=1)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]
