"""Entity tags and `If-Match` (api.md, Concurrency): one way to name a resource's version, read it
back from a client and refuse a stale change with 412, for every service's optimistic updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from clinic_common.errors import PreconditionFailed

IfMatch = Annotated[
    str | None, Header(alias="If-Match", max_length=200, description="The ETag read; 412 when stale")
]
"""The `If-Match` request header of a route that changes a versioned resource."""


def etag(*parts: object) -> str:
    """A strong entity tag of the parts (an id and a version, or a version alone)."""
    return '"' + ".".join(str(p) for p in parts) + '"'


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


def check_if_match(if_match: str | None, current: str, *, what: str = "The resource") -> None:
    """412 when the client's `If-Match` names another version; no header means no precondition.
    Weak and unquoted forms of the current tag are taken as the tag (clients differ in quoting)."""
    if if_match is None:
        return
    tags = [_opaque(t) for t in if_match.split(",")]
    if "*" not in tags and _opaque(current) not in tags:
        raise PreconditionFailed(f"{what} changed since it was read", etag=current)
