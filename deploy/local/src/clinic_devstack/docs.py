"""Renders the README's generated sections: the event catalogue and the role × route table.

`python -m clinic_devstack.docs --write` refreshes README.md; `--check` fails when it is stale
(a test runs the check, so the README cannot drift from the code).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from clinic_common.auth import render_role_table_markdown
from clinic_common.auth.dev import ensure_dev_keypair
from clinic_common.events.catalog import render_markdown

README = Path(__file__).resolve().parents[4] / "README.md"
SERVICES = {
    "scheduling": "scheduling",
    "billing": "billing",
    "records": "records",
    "home-visits": "home_visits",
}


def _apps() -> dict[str, FastAPI]:
    with tempfile.TemporaryDirectory() as tmp:
        _, public = ensure_dev_keypair(Path(tmp))
        apps: dict[str, FastAPI] = {}
        for name, pkg in SERVICES.items():
            config = importlib.import_module(f"{pkg}.config")
            main = importlib.import_module(f"{pkg}.main")
            # The routes `make run` serves (development mode adds `/_dev/clock`), whatever CLINIC_ENV says.
            settings = config.Settings(
                env="development", jwt_public_key=public.read_text(), clock_file=None, log_level="WARNING"
            )
            apps[name] = main.create_app(settings)
        return apps


def sections() -> dict[str, str]:
    return {"events": render_markdown(), "roles": render_role_table_markdown(_apps())}


def _filler(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{m.group(1)}{replacement}{m.group(2)}"


def render(text: str) -> str:
    for name, body in sections().items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README has no <!-- BEGIN {name} --> section")
        text = pattern.sub(_filler(body.rstrip() + "\n"), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinic_devstack.docs")
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if args.write:
        README.write_text(wanted, encoding="utf-8")
        return 0
    if args.check:
        if wanted != current:
            print("README.md is stale: run `python -m clinic_devstack.docs --write`", file=sys.stderr)
            return 1
        return 0
    for name, body in sections().items():
        print(f"## {name}\n\n{body}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
