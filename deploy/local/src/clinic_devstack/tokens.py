"""Development keys and tokens, delegated to `clinic_common.auth.dev` (imported lazily so the
runner and the test kit load even while that module is missing or broken)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

DEV_ISSUER = "clinic-dev"


def ensure_keypair(key_dir: Path) -> tuple[Path, Path]:
    """(private.pem, public.pem) under `key_dir`, created on first use."""
    from clinic_common.auth.dev import ensure_dev_keypair

    return ensure_dev_keypair(key_dir)


def issue_token(private_key_path: Path, *, role: str, org: str | None, **claims: Any) -> str:
    """A dev token signed with the key the local services trust."""
    from clinic_common.auth.dev import issue_dev_token

    return issue_dev_token(private_key_path, role=role, org=org, **claims)


def demo_org_id(name: str) -> str | None:
    """The fixed id of a demo organization (`almaty`, `moscow`), or None if demo data is absent."""
    try:
        demo = importlib.import_module("clinic_common.demo")
    except ImportError:
        return None
    value = getattr(demo, f"ORG_{name.upper()}_ID", None)
    return str(value) if value is not None else None


def resolve_org(value: str | None) -> str | None:
    """Accept demo aliases (`almaty`, `moscow`) as well as organization ids."""
    if value is None or value == "":
        return None
    if value.lower() in ("almaty", "moscow"):
        resolved = demo_org_id(value)
        if resolved is None:
            raise ValueError(f"demo organization {value!r} unknown: clinic_common.demo is not available")
        return resolved
    return value
