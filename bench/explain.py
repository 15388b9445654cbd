"""Print the hot queries of the installed-integrations list and the plugin configs page
with their query plans.

Runs against the database the app is configured for (DATABASE_URL, e.g. a bench database
left by `bench/run.py --keep`): SQLite gets EXPLAIN QUERY PLAN, PostgreSQL gets
EXPLAIN (ANALYZE, BUFFERS). Each case is a query string of the list page; then comes the
plugin configs page's one statement (the previews of every plugin, PREVIEW_ROWS + 1 each).

    DATABASE_URL=... .venv/bin/python bench/explain.py [--org demo] ["features=alert-rule&status=active" ...]
"""

import argparse
import sys
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp import create_app  # noqa: E402
from webapp.blueprints.plugins.views import PREVIEW_ROWS  # noqa: E402
from webapp.catalog.plugins import PLUGINS  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Organization  # noqa: E402
from webapp.services import integrations as svc  # noqa: E402
from webapp.services import plugins as plugin_svc  # noqa: E402

DEFAULT_CASES = (
    "features=alert-rule&status=active&status=disabled",  # the benchmarked page
    "",  # no filter, default order
    "provider_key=github&status=pending_deletion",
    "sort=provider&page=30",
    "sort=-date_added&status=disabled",
    "q=demo ops",
)


def explain(sql: str) -> str:
    """The plan of `sql`; on PostgreSQL the second of two EXPLAIN ANALYZE runs (the first
    pays for loading the catalog caches of a fresh connection)."""
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        parents = {row[0]: row[1] for row in rows}

        def depth(node):
            level = 0
            while parents.get(node):
                node, level = parents[node], level + 1
            return level

        return "\n".join("  " * depth(row[0]) + row[3] for row in rows)
    for _ in range(2):
        rows = db.session.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)).all()
    return "\n".join(row[0] for row in rows)


def literal_sql(query) -> str:
    return str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", default="demo")
    parser.add_argument("--per-page", type=int, default=25)
    parser.add_argument("--sql", choices=("all", "first", "none"), default="first",
                        help="print the SQL of every case, of the first one only, or none")
    parser.add_argument("cases", nargs="*", default=DEFAULT_CASES)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.slug == args.org))
        if org is None:
            sys.exit(f"no organization {args.org!r} in {db.engine.url!r}")
        print(f"database: {db.engine.dialect.name}, org {org.slug}\n")
        for case in args.cases:
            raw = parse_qs(case, keep_blank_values=False)
            page = int(raw.pop("page", ["1"])[0])
            filters = svc.parse_integration_filters(raw)
            facets = svc.facet_counts(org, filters)
            pages = max(1, -(-facets.total // args.per_page))
            page = max(1, min(page, pages))
            print("=" * 100)
            print(f"list page ?{case} (page {page}; {facets.total:,} matching rows)")
            queries = [("counts", svc._status_matrix_query(org, filters))]
            if facets.total:
                statement, params = svc._page_query(org, filters, facets.matrix,
                                                    (page - 1) * args.per_page, args.per_page,
                                                    lean="list")  # the HTML list's columns
                queries.append(("rows", statement.params(**params)))
            for label, query in queries:
                sql = literal_sql(query)
                shown = args.sql == "all" or (args.sql == "first" and case == args.cases[0])
                print(f"--- {label}:" + (f"\n{sql}" if shown else "")
                      + f"\n--- plan:\n{explain(sql)}\n")
        print("=" * 100)
        plugins = tuple(p for p in PLUGINS.values() if p.has_configuration)
        print(f"plugin configs page: previews of {len(plugins)} plugins in one statement")
        query = plugin_svc._project_list_union(plugins, PREVIEW_ROWS + 1).params(org_id=org.id)
        sql = literal_sql(query)
        print(("--- previews:\n" + sql + "\n" if args.sql != "none" else "")
              + f"--- plan:\n{explain(sql)}\n")


if __name__ == "__main__":
    main()
