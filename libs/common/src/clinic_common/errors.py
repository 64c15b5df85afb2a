"""Typed application errors rendered as RFC 9457 problem+json in one place.

Every refusal a client can get is an `AppError` subclass with a stable `code`; handlers here make
sure no request, however malformed, ends in a bare 500 or leaks internals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of every refusal; subclasses set status, code, title and (for domain refusals) rule."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    rule: ClassVar[str | None] = None

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://clinic.example/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.rule:
            body["rule"] = self.rule
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    title = "The resource changed since it was read"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Request body too large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    title = "The body must be application/json"


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title = "The request does not match the schema"


class InstantOutOfRange(AppError):
    """A date or instant so far from today that converting it between zones leaves the calendar."""

    status = 422
    code = "instant_out_of_range"
    title = "The date or time is outside the supported range"


class UnknownEntity(AppError):
    """422 `<entity>_unknown`: the service has not yet learned of the entity; clients retry."""

    status = 422
    title = "Referenced entity is not known to this service yet"

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(
            f"{entity} {entity_id} is not known here yet; retry shortly", entity_id=str(entity_id)
        )
        self._code = f"{entity}_unknown"

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().to_problem(instance)
        body["code"] = self._code
        body["type"] = f"https://clinic.example/problems/{self._code.replace('_', '-')}"
        return body


class InternalError(AppError):
    status = 500
    code = "internal_error"
    title = "Internal error"


class ServiceUnavailable(AppError):
    """503 while a dependency (the database) is unreachable; `Retry-After` tells clients when."""

    status = 503
    code = "service_unavailable"
    title = "A dependency is unavailable; retry later"
    retry_after_seconds: ClassVar[int] = 5

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"Retry-After": str(self.retry_after_seconds)}


# --- outages: what a broken connection looks like from inside a request --------------------------

# SQLSTATE classes and codes that mean "the server is not there for you right now": connection
# exceptions (08), insufficient resources such as too many connections (53), operator
# intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now) and
# 57014, a statement cancelled by its timeout.
_OUTAGE_SQLSTATE_PREFIXES = ("08", "53", "57P")
_OUTAGE_SQLSTATES = frozenset({"57014"})

_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionRefusedError, ConnectionResetError, TimeoutError, socket.gaierror
    asyncpg.PostgresConnectionError,  # incl. ConnectionDoesNotExistError
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    sa_exc.TimeoutError,  # the pool had no connection to give within its timeout
    sa_exc.DisconnectionError,
    sa_exc.InterfaceError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, wrapped DBAPI errors and group members."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 50:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            todo.append(orig)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)


def _sqlstate(exc: BaseException) -> str | None:
    value = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return str(value) if value else None


def is_outage(exc: BaseException) -> bool:
    """Did this request fail because the database (or the network to it) is unavailable?"""
    for e in _chain(exc):
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, _OUTAGE_TYPES):
            return True
        if isinstance(e, asyncpg.InterfaceError) and "closed" in str(e):
            return True
        state = _sqlstate(e)
        if state and (state in _OUTAGE_SQLSTATES or state.startswith(_OUTAGE_SQLSTATE_PREFIXES)):
            return True
    return False


# Constraint name -> error class. Services register the names their migrations declare, so a
# concurrency-sensitive invariant enforced by PostgreSQL surfaces as the domain's 409, never a 500.
_CONSTRAINT_ERRORS: dict[str, type[AppError]] = {}


def register_constraint_error(constraint: str, error: type[AppError]) -> None:
    _CONSTRAINT_ERRORS[constraint] = error


def _constraint_name(exc: DBAPIError) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    return None


def error_from_db(exc: DBAPIError) -> AppError:
    """Translate a database error raised by a constraint into the registered domain error."""
    if is_outage(exc):
        return ServiceUnavailable("The database is unavailable; retry later")
    name = _constraint_name(exc)
    if name and name in _CONSTRAINT_ERRORS:
        return _CONSTRAINT_ERRORS[name]()
    if isinstance(exc, IntegrityError):
        log.warning("unmapped constraint violation: %s", name)  # logged, never shown to clients
        return Conflict("The change conflicts with existing data")
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(
        getattr(getattr(exc, "orig", None), "__cause__", None), "sqlstate", None
    )
    if sqlstate in {"40001", "40P01", "55P03"}:
        return Conflict("Concurrent change; retry the request")
    if sqlstate == "23P01":
        return Conflict("The change overlaps existing data")
    if sqlstate and str(sqlstate).startswith("22"):  # data exception: a NUL byte, a value out of range
        return ValidationFailed("A value in the request cannot be stored", errors=[])
    return InternalError()


def validation_pointers(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Map pydantic error locations to JSON pointers into the request."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "cookie"}:
            where, rest = loc[0], loc[1:]
        else:
            where, rest = "body", loc
        # RFC 6901: "" is the whole document, "/x" a member of it.
        pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in rest)
        entry = {"pointer": pointer, "detail": str(err.get("msg", "invalid"))}
        if where != "body":
            entry["in"] = where
        out.append(entry)
    return out


def problem_response(error: AppError, request: Request | None = None, *, close: bool = False) -> JSONResponse:
    """The problem+json response of `error`. `close=True` adds `Connection: close`: the server is
    about to drop the connection (an unhandled error), so the client must not reuse it."""
    instance = request.url.path if request is not None else None
    headers = dict(error.headers)
    if close:
        headers["Connection"] = "close"
    return JSONResponse(
        error.to_problem(instance), status_code=error.status, media_type=PROBLEM_JSON, headers=headers or None
    )


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _allowed_methods(request: Request) -> str | None:
    """Every method of every route of the path. Starlette's 405 names only the first route that
    matched the path, so GET and PUT declared as two routes would answer `Allow: GET`."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = iter_contexts(request.app.routes) if iter_contexts is not None else request.app.routes
    methods: set[str] = set()
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods)) or None


def install_error_handlers(app: FastAPI) -> None:
    """Every error path of the app renders problem+json with a stable code."""

    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError | ValidationError)
        errors = exc.errors()
        body_error = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors)
        if (
            isinstance(exc, RequestValidationError)
            and body_error
            and not _is_json(request.headers.get("content-type"))
        ):
            # FastAPI reads only JSON bodies; any other media type is not "invalid JSON" but unsupported.
            return problem_response(UnsupportedMediaType(), request)
        return problem_response(ValidationFailed(errors=validation_pointers(errors)), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's "error parsing the body" (e.g. not UTF-8): a schema failure like any other.
            bad_body = ValidationFailed(
                errors=[{"pointer": "", "detail": "the body is not valid UTF-8 JSON"}]
            )
            return problem_response(bad_body, request)
        err = AppError(str(exc.detail) if exc.detail else None)
        body = err.to_problem(request.url.path)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body.update(status=exc.status_code, code=code, title=code.replace("_", " ").capitalize())
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return JSONResponse(
            body, status_code=exc.status_code, media_type=PROBLEM_JSON, headers=headers or None
        )

    async def on_db(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        err = error_from_db(exc)
        if isinstance(err, InternalError):
            log.exception("database error", exc_info=exc)
        elif isinstance(err, ServiceUnavailable):
            log.warning("database unavailable: %s", exc)
        return problem_response(err, request)

    async def on_connection_error(request: Request, exc: Exception) -> JSONResponse:
        # Handled here (not by the catch-all) so the connection to the client stays usable.
        if is_outage(exc):
            log.warning("dependency unavailable: %r", exc)
            return problem_response(ServiceUnavailable("The database is unavailable; retry later"), request)
        log.exception("unhandled error", exc_info=exc)
        return problem_response(InternalError("The server failed; the failure was logged"), request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this response and uvicorn then drops the connection, so the
        # response says `Connection: close`: a kept-alive client must not send its next request
        # into a socket about to close (it would get ECONNRESET).
        if is_outage(exc):
            log.warning("dependency unavailable: %r", exc)
            unavailable = ServiceUnavailable("The database is unavailable; retry later")
            return problem_response(unavailable, request, close=True)
        log.exception("unhandled error", exc_info=exc)
        failed = InternalError("The server failed; the failure was logged")
        return problem_response(failed, request, close=True)

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DBAPIError, on_db)
    for outage_type in (*_OUTAGE_TYPES, asyncpg.PostgresError, asyncpg.InterfaceError):
        if not issubclass(outage_type, DBAPIError):
            app.add_exception_handler(outage_type, on_connection_error)
    app.add_exception_handler(Exception, on_unexpected)
