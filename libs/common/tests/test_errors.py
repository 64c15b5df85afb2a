"""AppError rendering, validation pointers, database error translation and the installed handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from clinic_common import errors
from clinic_common.errors import (
    AppError,
    Conflict,
    InternalError,
    ServiceUnavailable,
    UnknownEntity,
    error_from_db,
    install_error_handlers,
    is_outage,
    register_constraint_error,
    validation_pointers,
)

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


class SlotTaken(AppError):
    status = 409
    code = "slot_taken"
    title = "The slot is taken"
    rule = "SCH-4"


# --- validation_pointers --------------------------------------------------------------------------


def test_pointers_for_body_fields_with_escaping() -> None:
    out = validation_pointers(
        [
            {"loc": ("body", "address", "lat"), "msg": "too big"},
            {"loc": ("body", "a/b", "c~d", 0), "msg": "bad"},
            {"loc": ("start",), "msg": "plain"},
        ]
    )
    assert out == [
        {"pointer": "/address/lat", "detail": "too big"},
        {"pointer": "/a~1b/c~0d/0", "detail": "bad"},
        {"pointer": "/start", "detail": "plain"},
    ]


def test_tilde_is_escaped_before_slash() -> None:
    """RFC 6901: `~1` in a key must become `~01`, not be mistaken for an escaped `/`."""
    assert validation_pointers([{"loc": ("body", "~1"), "msg": "x"}])[0]["pointer"] == "/~01"


@pytest.mark.parametrize("where", ["query", "path", "header", "cookie"])
def test_pointers_outside_the_body_say_where(where: str) -> None:
    out = validation_pointers([{"loc": (where, "limit"), "msg": "not an int"}])
    assert out == [{"pointer": "/limit", "detail": "not an int", "in": where}]


def test_pointer_without_msg() -> None:
    assert validation_pointers([{"loc": ("body", "x")}]) == [{"pointer": "/x", "detail": "invalid"}]


def test_error_about_the_whole_body_points_at_the_root() -> None:
    assert validation_pointers([{"loc": ("body",), "msg": "not an object"}])[0]["pointer"] == ""


# --- AppError.to_problem --------------------------------------------------------------------------


def test_to_problem_has_the_rfc9457_members_and_code() -> None:
    body = Conflict("Someone else booked it").to_problem()
    assert body == {
        "type": "https://clinic.example/problems/conflict",
        "title": "Conflict with the current state",
        "status": 409,
        "detail": "Someone else booked it",
        "code": "conflict",
    }


def test_to_problem_adds_rule_instance_and_extras() -> None:
    body = SlotTaken(slot="09:00").to_problem("/v1/appointments")
    assert body["type"] == "https://clinic.example/problems/slot-taken"
    assert (body["status"], body["code"], body["rule"]) == (409, "slot_taken", "SCH-4")
    assert body["detail"] == body["title"] == "The slot is taken"
    assert body["instance"] == "/v1/appointments"
    assert body["slot"] == "09:00"


def test_unknown_entity_renders_entity_code() -> None:
    pid = uuid.uuid4()
    body = UnknownEntity("patient", pid).to_problem()
    assert (body["status"], body["code"]) == (422, "patient_unknown")
    assert body["type"] == "https://clinic.example/problems/patient-unknown"
    assert body["entity_id"] == str(pid)
    assert str(pid) in body["detail"]


# --- error_from_db --------------------------------------------------------------------------------


class FakeDriverError(Exception):
    def __init__(self, constraint_name: str | None = None, sqlstate: str | None = None) -> None:
        super().__init__("driver says no")
        self.constraint_name = constraint_name
        self.sqlstate = sqlstate


class AdaptedError(Exception):
    """Like SQLAlchemy's asyncpg adapter: the driver's error is the `__cause__`."""


def wrapped(cause: FakeDriverError) -> AdaptedError:
    adapted = AdaptedError("adapted")
    adapted.__cause__ = cause
    return adapted


@pytest.fixture
def constraints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "_CONSTRAINT_ERRORS", dict(errors._CONSTRAINT_ERRORS))
    register_constraint_error("appointments_no_overlap", SlotTaken)


@pytest.mark.usefixtures("constraints")
@pytest.mark.parametrize("direct", [True, False])
def test_registered_constraint_maps_to_its_error(direct: bool) -> None:
    cause = FakeDriverError("appointments_no_overlap", "23P01")
    exc = IntegrityError("INSERT ...", {}, cause if direct else wrapped(cause))
    err = error_from_db(exc)
    assert isinstance(err, SlotTaken)
    assert err.to_problem()["code"] == "slot_taken"


@pytest.mark.usefixtures("constraints")
def test_unknown_integrity_error_is_409() -> None:
    err = error_from_db(IntegrityError("INSERT ...", {}, FakeDriverError("some_uq", "23505")))
    assert isinstance(err, Conflict)
    assert err.status == 409
    err = error_from_db(IntegrityError("INSERT ...", {}, Exception("no attributes at all")))
    assert (err.status, err.code) == (409, "conflict")


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_serialization_and_lock_failures_are_409(sqlstate: str) -> None:
    err = error_from_db(OperationalError("UPDATE ...", {}, wrapped(FakeDriverError(sqlstate=sqlstate))))
    assert (err.status, err.code) == (409, "conflict")


def test_other_database_errors_are_500() -> None:
    err = error_from_db(DBAPIError("SELECT 1", {}, FakeDriverError(sqlstate="XX000")))
    assert isinstance(err, InternalError)
    assert err.status == 500


# 08006 connection failure, 53300 too many connections, 57P01 admin shutdown, 57P03 cannot connect
# now (starting up), 57014 statement cancelled by its timeout.
@pytest.mark.parametrize("sqlstate", ["08006", "08001", "53300", "57P01", "57P03", "57014"])
def test_database_outage_sqlstates_are_503_with_retry_after(sqlstate: str) -> None:
    err = error_from_db(OperationalError("SELECT 1", {}, wrapped(FakeDriverError(sqlstate=sqlstate))))
    assert isinstance(err, ServiceUnavailable)
    assert (err.status, err.code) == (503, "service_unavailable")
    assert int(err.headers["Retry-After"]) > 0


def test_invalidated_connection_is_an_outage() -> None:
    exc = DBAPIError("SELECT 1", {}, Exception("connection was closed"), connection_invalidated=True)
    assert isinstance(error_from_db(exc), ServiceUnavailable)


def _chained(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError(113, "No route to host"),
        TimeoutError(),
        _chained(RuntimeError("while rolling back"), ConnectionResetError()),
        ExceptionGroup("unhandled errors in a TaskGroup", [ConnectionRefusedError()]),
    ],
    ids=["refused", "oserror", "timeout", "caused-by", "group"],
)
def test_connection_level_errors_are_outages(exc: BaseException) -> None:
    assert is_outage(exc)


@pytest.mark.parametrize("exc", [RuntimeError("bug"), ValueError("bad"), KeyError("x")])
def test_bugs_are_not_outages(exc: Exception) -> None:
    assert not is_outage(exc)


# --- installed handlers over HTTP -----------------------------------------------------------------


class Item(BaseModel):
    name: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    async def refuse() -> None:
        raise SlotTaken("Taken by someone else")

    @app.get("/unknown")
    async def unknown() -> None:
        raise UnknownEntity("patient", "p-1")

    @app.get("/items/{item_id}")
    async def read(item_id: uuid.UUID, limit: int = 10) -> dict[str, str]:
        return {"id": str(item_id)}

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret-internal-detail at /srv/app.py line 42")

    @app.get("/db")
    async def db() -> None:
        raise IntegrityError("INSERT INTO secret_table", {"p": 1}, FakeDriverError("x_uq", "23505"))

    @app.get("/db-down")
    async def db_down() -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    @app.get("/db-gone")
    async def db_gone() -> None:
        raise OperationalError("SELECT 1", {}, wrapped(FakeDriverError(sqlstate="57P01")))

    @app.get("/db-down-wrapped")
    async def db_down_wrapped() -> None:
        raise RuntimeError("the session could not roll back") from ConnectionResetError()

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def problem(r: httpx.Response) -> dict[str, Any]:
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys(), body
    assert body["status"] == r.status_code
    return body


async def test_app_error_is_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/refuse")
    body = problem(r)
    assert (r.status_code, body["code"], body["rule"], body["instance"]) == (
        409,
        "slot_taken",
        "SCH-4",
        "/refuse",
    )
    assert body["detail"] == "Taken by someone else"


async def test_unknown_entity_over_http(client: httpx.AsyncClient) -> None:
    r = await client.get("/unknown")
    assert (r.status_code, problem(r)["code"]) == (422, "patient_unknown")


async def test_request_validation_error_is_problem_with_pointers(client: httpx.AsyncClient) -> None:
    r = await client.post("/items", json={"name": "x", "count": "many", "extra": 1})
    body = problem(r)
    assert (r.status_code, body["code"]) == (422, "validation_failed")
    assert body["errors"] == [{"pointer": "/count", "detail": body["errors"][0]["detail"]}]


async def test_path_and_query_validation_say_where(client: httpx.AsyncClient) -> None:
    r = await client.get("/items/not-a-uuid", params={"limit": "ten"})
    body = problem(r)
    assert r.status_code == 422
    assert {(e["pointer"], e["in"]) for e in body["errors"]} == {("/item_id", "path"), ("/limit", "query")}


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"null", b"\xff\xfe"])
async def test_malformed_json_body_is_422_problem(client: httpx.AsyncClient, content: bytes) -> None:
    r = await client.post("/items", content=content, headers={"Content-Type": "application/json"})
    assert (r.status_code, problem(r)["code"]) == (422, "validation_failed")


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert (r.status_code, problem(r)["code"]) == (404, "not_found")


async def test_wrong_method_is_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    r = await client.delete("/items")
    assert (r.status_code, problem(r)["code"]) == (405, "method_not_allowed")
    assert "POST" in r.headers["allow"]


async def test_integrity_error_is_409_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/db")
    assert (r.status_code, problem(r)["code"]) == (409, "conflict")
    assert "secret_table" not in r.text


async def test_unexpected_exception_is_500_problem_without_traceback(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="clinic_common.errors"):
        r = await client.get("/boom")
    body = problem(r)
    assert (r.status_code, body["code"]) == (500, "internal_error")
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "app.py"):
        assert leak not in r.text
    assert any(rec.exc_info for rec in caplog.records)  # logged for operators instead


@pytest.mark.parametrize("path", ["/db-down", "/db-gone", "/db-down-wrapped"])
async def test_database_outage_is_503_problem_with_retry_after(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    body = problem(r)
    assert (r.status_code, body["code"]) == (503, "service_unavailable")
    assert int(r.headers["retry-after"]) > 0
    assert "5432" not in r.text and "127.0.0.1" not in r.text


async def test_unexpected_exception_tells_the_client_the_connection_closes(client: httpx.AsyncClient) -> None:
    """Starlette re-raises after the 500 and uvicorn then drops the connection: the response must
    say so, or a kept-alive client sends its next request into a closing socket (ECONNRESET)."""
    r = await client.get("/boom")
    assert r.status_code == 500
    assert r.headers["connection"] == "close"


async def test_handled_problems_keep_the_connection(client: httpx.AsyncClient) -> None:
    for path in ("/refuse", "/db", "/db-down", "/items/not-a-uuid"):
        r = await client.get(path)
        assert "connection" not in r.headers, (path, r.headers)


@pytest.mark.parametrize(
    ("content_type", "content"),
    [("application/x-www-form-urlencoded", b"name=a&count=1"), ("text/plain", b'{"name": "a", "count": 1}')],
)
async def test_non_json_body_is_415_problem(
    client: httpx.AsyncClient, content_type: str, content: bytes
) -> None:
    r = await client.post("/items", content=content, headers={"Content-Type": content_type})
    assert (r.status_code, problem(r)["code"]) == (415, "unsupported_media_type")


async def test_json_media_types_are_parsed(client: httpx.AsyncClient) -> None:
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ):
        r = await client.post(
            "/items", content=b'{"name": "a", "count": 1}', headers={"Content-Type": content_type}
        )
        assert r.status_code in (200, 422), (content_type, r.text)
        assert r.status_code != 415


async def test_405_allows_every_method_of_the_path() -> None:
    """Starlette names only the first route of the path; GET and PUT as two routes said `Allow: GET`."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/clock")
    async def read() -> None: ...

    @app.put("/clock")
    async def move() -> None: ...

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.delete("/clock")
    assert (r.status_code, problem(r)["code"]) == (405, "method_not_allowed")
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "PUT"}
