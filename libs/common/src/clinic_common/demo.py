"""Fixed identifiers of the demo data, shared by every service's seed and by the tests.

Two organizations match the presets of domain-rules.md: an Almaty centre (the O preset, KZT,
Asia/Almaty) and a Moscow polyclinic network (the P preset, RUB, Europe/Moscow).
"""

from __future__ import annotations

from uuid import UUID, uuid5

ORG_ALMATY_ID = UUID("0a000000-0000-4000-8000-000000000001")
ORG_MOSCOW_ID = UUID("0b000000-0000-4000-8000-000000000001")

# Branches
ALMATY_BRANCH_DOSTYK_ID = UUID("0a000000-0000-4000-8000-0000000000b1")
ALMATY_BRANCH_ABAY_ID = UUID("0a000000-0000-4000-8000-0000000000b2")
MOSCOW_BRANCH_ARBAT_ID = UUID("0b000000-0000-4000-8000-0000000000b1")
MOSCOW_BRANCH_MARYINO_ID = UUID("0b000000-0000-4000-8000-0000000000b2")

ALMATY_BRANCH_IDS = (ALMATY_BRANCH_DOSTYK_ID, ALMATY_BRANCH_ABAY_ID)
MOSCOW_BRANCH_IDS = (MOSCOW_BRANCH_ARBAT_ID, MOSCOW_BRANCH_MARYINO_ID)


def practitioner_id(org: UUID, branch_no: int, n: int) -> UUID:
    """Demo practitioner ids: deterministic per organization, branch (1, 2) and number (1..)."""
    prefix = str(org)[:2]
    return UUID(f"{prefix}000000-0000-4000-8000-00000000{branch_no:02d}{n:02d}")


DEMO_NAMESPACE = UUID("5e1d0000-0000-4000-8000-000000000000")


def demo_id(*parts: object) -> UUID:
    """Any other demo id: a UUIDv5 of its natural key, so reloading finds the same row."""
    return uuid5(DEMO_NAMESPACE, ":".join(str(p) for p in parts))
