"""Print the hot queries of the installed-integrations list, the plugin configs page and
one plugin's page with their query plans.

Runs against the database the app is configured for (DATABASE_URL, e.g. a bench database
left by `bench/run.py --keep`): SQLite gets EXPLAIN QUERY PLAN, PostgreSQL gets
EXPLAIN (ANALYZE, BUFFERS) of the generic plan the app runs (see `explain`). Each case is a
query string of the list page; then comes the
plugin configs page's one statement (the previews of every plugin, PREVIEW_ROWS + 1 each).

    DATABASE_URL=... .venv/bin/python bench/explain.py [--org demo] ["features=alert-rule&status=active" ...]
"""

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import CompileError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.datastructures import MultiDict  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.blueprints.integrations.forms import IntegrationFilterForm  # noqa: E402
from webapp.blueprints.plugins.views import PREVIEW_ROWS  # noqa: E402
from webapp.catalog.plugins import PLUGINS  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Organization  # noqa: E402
from webapp.services import integrations as svc  # noqa: E402
from webapp.services.integrations.counts import matrix_statement  # noqa: E402
from webapp.services.integrations.listing import page_statement  # noqa: E402
from webapp.services.plugins.lists import project_lists_statement  # noqa: E402
from webapp.services.plugins.table import PluginProjectFilters, bucket_counts_query  # noqa: E402

DEFAULT_CASES = (
    "features=alert-rule&status=active&status=disabled",  # the benchmarked page
    "",  # no filter, default order
    "provider_key=github&status=pending_deletion",
    "sort=provider&page=30",
    "sort=-date_added&status=disabled",
    "q=demo ops",
)


def explain(query) -> str:
    """The plan of `query` (with its values bound). SQLite: EXPLAIN QUERY PLAN. PostgreSQL:
    the GENERIC plan, which is what the app runs once a statement is prepared (psycopg
    prepares it on its 5th run on a connection; `plan_cache_mode=force_generic_plan`, see
    webapp/config.py): the statement is PREPAREd with its values as parameters and
    EXPLAIN (ANALYZE) EXECUTEd twice (the first run pays for loading the catalog caches of
    a fresh connection), the second run shown."""
    if db.engine.dialect.name != "sqlite":
        return explain_generic(query)
    # The statement as the app sends it: its values bound, IN lists expanded.
    expanded = query.compile(db.engine).construct_expanded_state()
    rows = db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + expanded.statement, tuple(expanded.positional_parameters)).all()
    parents = {row[0]: row[1] for row in rows}

    def depth(node):
        level = 0
        while parents.get(node):
            node, level = parents[node], level + 1
        return level

    return "\n".join("  " * depth(row[0]) + row[3] for row in rows)


def explain_generic(query) -> str:
    """PostgreSQL: EXPLAIN (ANALYZE) EXECUTE of `query` prepared with parameters $1…$n."""
    compiled = query.compile(db.engine)
    # What the app sends: IN lists and literal-execute values expanded, as on execution.
    expanded = compiled.construct_expanded_state()
    names: list[str] = []

    def number(match):
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    sql = re.sub(r"%\((\w+)\)s", number, expanded.statement).replace("%%", "%")
    values = [expanded.parameters[name] for name in names]
    cursor = psycopg.ClientCursor(db.session.connection().connection.dbapi_connection)
    mode = cursor.execute("SHOW plan_cache_mode").fetchone()[0]
    cursor.execute("PREPARE bench_plan AS " + sql)
    try:
        arguments = ", ".join(["%s"] * len(values))
        for _ in range(2):
            rows = cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) "
                                  f"EXECUTE bench_plan({arguments})", values).fetchall()
    finally:
        cursor.execute("DEALLOCATE bench_plan")
    return f"(plan_cache_mode={mode})\n" + "\n".join(row[0] for row in rows)


def literal_sql(query) -> str:
    """The SQL with its values written in, or (a value SQLAlchemy cannot write) the SQL
    with its parameters listed after it."""
    try:
        return str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    except CompileError:
        compiled = query.compile(db.engine)
        return f"{compiled}\n-- parameters: {compiled.params}"


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
            form = IntegrationFilterForm.from_args(MultiDict(
                [(name, value) for name, values in raw.items() for value in values]))
            if not form.validate():
                sys.exit(f"bad filters in {case!r}: {form.errors}")
            filters = form.filters()
            facets = svc.facet_counts(org, filters)
            pages = max(1, -(-facets.total // args.per_page))
            page = max(1, min(page, pages))
            print("=" * 100)
            print(f"list page ?{case} (page {page}; {facets.total:,} matching rows)")
            queries = [("counts", matrix_statement(org, filters))]
            if facets.total:
                statement, params = page_statement(org, filters, facets,
                                                   (page - 1) * args.per_page, args.per_page)
                queries.append(("rows", statement.params(**params)))
            for label, query in queries:
                shown = args.sql == "all" or (args.sql == "first" and case == args.cases[0])
                print(f"--- {label}:" + (f"\n{literal_sql(query)}" if shown else "")
                      + f"\n--- plan:\n{explain(query)}\n")
        print("=" * 100)
        plugins = tuple(p for p in PLUGINS.values() if p.has_configuration)
        print(f"plugin configs page: previews of {len(plugins)} plugins in one statement")
        query = project_lists_statement(plugins, PREVIEW_ROWS + 1, db.engine.dialect.name,
                                        counts=True).params(
            org_id=org.id)
        print(("--- previews:\n" + literal_sql(query) + "\n" if args.sql != "none" else "")
              + f"--- plan:\n{explain(query)}\n")
        print("=" * 100)
        plugin = PLUGINS["asana"]
        print(f"one plugin's page ({plugin.slug}): the table's counts")
        query = bucket_counts_query(org, plugin, PluginProjectFilters())
        print(("--- counts:\n" + literal_sql(query) + "\n" if args.sql != "none" else "")
              + f"--- plan:\n{explain(query)}\n")


if __name__ == "__main__":
    main()
