"""Time-ordered ids (UUIDv7) for billing's records, so keyset pages by id follow issue order."""

from __future__ import annotations

from uuid import UUID

import uuid_utils


def new_id() -> UUID:
    return UUID(str(uuid_utils.uuid7()))
