"""Bulk disable of every installation matching the list's filters, at scale (issue 23).

Builds a fresh database per engine (`flask db upgrade`, `flask seed-demo --scale N`: scale
1000 ≈ 100k installations in the org `demo`), then, in this process, as the demo owner
through the JSON API (`POST /api/0/organizations/demo/integrations/bulk/`):

1. the dry run with `{"action": "disable", "filters": {}}` (what the confirmation page
   computes), and
2. the apply with the dry run's `plannedAt` (one transaction),

each timed (wall clock, the request as the app serves it) with its SQL statements counted;
then checks the per-org counts still equal a fresh count of the rows. Prints a Markdown
table for bench/README.md.

    .venv/bin/python bench/bulk.py [--dbs sqlite,pg] [--scale 1000] [--keep]

Run by hand on a quiet machine (`uptime` load < 2), never in the test suite.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import drop_database, prepare_database  # noqa: E402

ORG = "demo"
URL = f"/api/0/organizations/{ORG}/integrations/bulk/"
LABEL = "-bulk"  # its own databases: bench_1000_bulk, bench/results/instance-sqlite-1000-bulk


def measure(env: dict, token: str) -> dict:
    """Dry run and apply through the API, in this process, on the database of `env`."""
    from sqlalchemy import event, func, select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Organization
    from webapp.models import OrganizationIntegration as OI
    from webapp.models.integration_counts import OrganizationIntegrationCount as Counts

    os.environ.update(env)
    app = create_app()
    statements: list[str] = []
    out: dict = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: statements.append(statement))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        client.post(URL, headers=headers, json={"action": "enable", "ids": ["1"],
                                                "dryRun": True})  # warm: token, imports
        body: dict = {"action": "disable", "filters": {}, "dryRun": True}
        for step in ("dry run", "apply"):
            statements.clear()
            db.session.remove()
            started = time.perf_counter()
            response = client.post(URL, headers=headers, json=body)
            seconds = time.perf_counter() - started
            assert response.status_code == 200, response.get_data(as_text=True)
            out[step] = {**response.get_json(), "seconds": seconds, "statements": len(statements)}
            body = {"action": "disable", "filters": {}, "plannedAt": out[step]["plannedAt"]}
        org_id = db.session.scalar(select(Organization.id).where(Organization.slug == ORG))
        kept = {(p, s): n for p, s, n in db.session.execute(
            select(Counts.provider, Counts.status, Counts.count)
            .where(Counts.organization_id == org_id, Counts.count != 0))}
        real = {(p, s): n for p, s, n in db.session.execute(
            select(OI.integration_provider, OI.status, func.count())
            .where(OI.organization_id == org_id).group_by(OI.integration_provider, OI.status))}
        out["counts exact"] = kept == real
        out["installations"] = sum(real.values())
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbs", default="sqlite,pg", help="sqlite, pg or both (default)")
    parser.add_argument("--scale", type=int, default=1000, help="seed-demo scale (1000 ≈ 100k)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases afterwards (bench_<scale>_bulk, "
                             "bench/results/instance-<db>-<scale>-bulk)")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.dbs.split(",") if kind.strip()]
    rows = []
    for kind in kinds:
        if kind not in ("sqlite", "pg"):
            sys.exit(f"unknown database kind: {kind}")
        print(f"{kind}: seeding scale {args.scale} …", file=sys.stderr)
        try:
            prepared = prepare_database(kind, args.scale, LABEL)
            result = measure(prepared["env"], prepared["token"])
            rows.append((kind, prepared["seed_seconds"], result))
        finally:
            if not args.keep:
                drop_database(kind, args.scale, LABEL)
    print("| db | installations | step | selected | changed | skipped | time (s) | SQL statements | counts exact |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, _seeded, result in rows:
        for step in ("dry run", "apply"):
            r = result[step]
            skipped = sum(s["count"] for s in r["skipped"])
            print(f"| {kind} | {result['installations']:,} | {step} | {r['selected']:,} | "
                  f"{r['changed']:,} | {skipped:,} | {r['seconds']:.2f} | {r['statements']} | "
                  f"{'yes' if result['counts exact'] else '**no**'} |")
    for kind, seeded, _result in rows:
        print(f"\n{kind}: seed-demo --scale {args.scale} took {seeded:.0f} s", end="")
    print()


if __name__ == "__main__":
    main()
