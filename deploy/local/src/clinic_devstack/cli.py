"""`clinic-devstack run|token|stop|clean`: the commands behind `make run`, `make token`, `make clean`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from clinic_devstack.config import data_dir, repo_root
from clinic_devstack.postgres import EmbeddedPostgres, remove_orphaned_clusters
from clinic_devstack.procs import Output
from clinic_devstack.run import Stack, running_supervisor, stop_leftovers
from clinic_devstack.tokens import demo_org_id, ensure_keypair, issue_token, resolve_org


def _cmd_run(args: argparse.Namespace) -> int:
    root = repo_root()
    return Stack(root=root, data=data_dir(root), ready_timeout=args.ready_timeout).run()


def _cmd_token(args: argparse.Namespace) -> int:
    data = data_dir()
    try:
        org = resolve_org(args.org)
        if org is None and args.role != "admin":
            org = demo_org_id("almaty")
            if org is not None:
                print(f"no --org given: using the Almaty demo organization {org}", file=sys.stderr)
        private_key, _ = ensure_keypair(data / "keys")
        token = issue_token(
            private_key,
            role=args.role,
            org=org,
            patient_id=args.patient or None,
            staff_id=args.staff or None,
            branch_ids=[b for b in args.branches.split(",") if b] if args.branches else None,
            insurer_id=args.insurer or None,
            ttl_hours=args.ttl_hours,
        )
    except (ValueError, ImportError) as exc:
        print(f"clinic-devstack token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _cmd_stop(args: argparse.Namespace) -> int:
    data = data_dir()
    out = Output(sys.stdout)
    if running_supervisor(data) is None and not (data / "run" / "stack.json").exists():
        out.line(f"no stack state in {data}; checking for leftover servers anyway")
    stopped = stop_leftovers(data, out)
    out.line("stopped: " + ", ".join(stopped) if stopped else "nothing was running")
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    """Stop what runs on `.data/` and delete the embedded cluster, also where root keeps it."""
    data = data_dir()
    out = Output(sys.stdout)
    stopped = stop_leftovers(data, out)
    if stopped:
        out.line("stopped: " + ", ".join(stopped))
    pg = EmbeddedPostgres(data / "pg")
    if pg.data_dir.exists():
        pg.remove()
        out.line(f"removed the PostgreSQL cluster in {pg.data_dir}")
    for removed in remove_orphaned_clusters():
        out.line(f"removed {removed} (its project folder is gone)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinic-devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start PostgreSQL, NATS and the four services; Ctrl-C stops all")
    run.add_argument("--ready-timeout", type=float, default=90.0, help="seconds to wait for /readyz")
    run.set_defaults(func=_cmd_run)

    token = sub.add_parser("token", help="print a development JWT (last line of output)")
    token.add_argument("--role", required=True)
    token.add_argument("--org", help="organization id, or `almaty` / `moscow` for the demo ones")
    token.add_argument("--patient", help="patient_id claim (person id in records)")
    token.add_argument("--staff", help="staff_id claim (practitioner id)")
    token.add_argument("--branches", help="comma-separated branch ids (absent: every branch)")
    token.add_argument("--insurer", help="insurer_id claim")
    token.add_argument("--ttl-hours", type=int, default=12)
    token.set_defaults(func=_cmd_token)

    stop = sub.add_parser("stop", help="stop a stack left over from a crashed run")
    stop.set_defaults(func=_cmd_stop)

    clean = sub.add_parser("clean", help="stop leftovers and delete the embedded PostgreSQL cluster")
    clean.set_defaults(func=_cmd_clean)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
