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
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PG_HOST, flask, psql  # noqa: E402

ORG = "demo"
OWNER = "owner@demo.example"
URL = f"/api/0/organizations/{ORG}/integrations/bulk/"


def prepare(kind: str, scale: int, instance: Path) -> tuple[dict, float]:
    """A migrated, seeded database; (environment, seconds seed-demo took)."""
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=str(instance), FLASK_SECRET_KEY="bench-secret",
               FLASK_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    if kind == "pg":
        name = f"bench_bulk_{scale}"
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@{PG_HOST}:5432/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance}/bench.sqlite3"
    flask(env, "db", "upgrade", capture=True)
    started = time.perf_counter()
    flask(env, "seed-demo", "--scale", str(scale), capture=True)
    seeded = time.perf_counter() - started
    if kind == "pg":
        psql("VACUUM ANALYZE", database=f"bench_bulk_{scale}")
    return env, seeded


def measure(env: dict) -> dict:
    """Dry run and apply through the API, in this process, on the database of `env`."""
    from sqlalchemy import event, func, select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Organization
    from webapp.models import OrganizationIntegration as OI
    from webapp.models.integration_counts import OrganizationIntegrationCount as Counts

    token = flask(env, "create-token", OWNER, "--name", "bench-bulk",
                  capture=True).stdout.strip().splitlines()[-1]
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
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.dbs.split(",") if kind.strip()]
    rows = []
    for kind in kinds:
        if kind not in ("sqlite", "pg"):
            sys.exit(f"unknown database kind: {kind}")
        instance = Path(tempfile.mkdtemp(prefix=f"bench-bulk-{kind}-"))
        try:
            print(f"{kind}: seeding scale {args.scale} …", file=sys.stderr)
            env, seeded = prepare(kind, args.scale, instance)
            result = measure(env)
            rows.append((kind, seeded, result))
        finally:
            if not args.keep:
                shutil.rmtree(instance, ignore_errors=True)
                if kind == "pg":
                    psql(f"DROP DATABASE IF EXISTS bench_bulk_{args.scale} WITH (FORCE)")
            else:
                print(f"{kind}: kept {instance}", file=sys.stderr)
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
