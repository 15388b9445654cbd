"""The installed-integrations list against Flask-Admin's list view of the same rows (issue 7:
"≥ 10 × Flask-Admin's list view, with its related columns joined"). Run by hand.

It serves the app (`bench.reference:app`, this checkout's virtualenv) and the Flask-Admin
peer (`bench.peer:app`, the peer virtualenv) side by side with gunicorn (2 sync workers
each, `--no-control-socket`) on one database kept by `bench/run.py --keep`, checks that
both pages list the same number of rows, then runs `wrk -t1 -c8` against each page
`--repeat` times, interleaved, and prints the medians and the ratios. A SQLite database is
served from an ANALYZEd copy (see `analyzed_copy`).

    make bench-peer    # what follows (without --nice), on the scale-1000 databases that
                       # `bench/run.py --keep` left: SQLite, and PostgreSQL when it is there
    python3 -m venv bench/.venv-peer
    bench/.venv-peer/bin/pip install -e . flask-admin==2.2.1
    .venv/bin/python bench/compare_peer.py --nice -10 \\
        --database-url sqlite:///$PWD/bench/results/instance-sqlite-1000/bench.sqlite3 \\
        --password-file bench/results/instance-sqlite-1000/owner-password
"""

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import run  # noqa: E402  (bench/ is not a package on the path by itself)
from webapp.catalog.features import IntegrationFeatures  # noqa: E402
from webapp.catalog.providers import PROVIDERS  # noqa: E402

PEER_VENV = ROOT / "bench" / ".venv-peer"
FEATURE = IntegrationFeatures.ALERT_RULE
# (name, our path, the peer's path): the same rows on both sides. Flask-Admin filters by
# `flt<position>_<filter index>`: 5 is "Status in list", 12 "Integration / Provider in
# list" (bench/peer.py's column_filters); the feature filter is its providers.
FEATURE_PROVIDERS = ",".join(key for key, provider in PROVIDERS.items()
                             if FEATURE in provider.features)
PAGES = [
    ("features+status, 25 rows",
     f"/settings/{run.ORG}/integrations/?features={FEATURE.value}&status=active&status=disabled",
     f"/admin/installations/?flt0_5=0,1&flt1_12={FEATURE_PROVIDERS}"),
    ("no filter, 25 rows", f"/settings/{run.ORG}/integrations/", "/admin/installations/"),
]


def fetch(url: str, headers: list[str]) -> tuple[str, float]:
    """The page's text and how long it took to serve, in seconds."""
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode(), time.perf_counter() - started


def row_count(side: str, name: str, page: str, pattern: str) -> int:
    found = re.search(pattern, page)
    if not found:
        sys.exit(f"{side}, {name}: no row count on the page (a login page or an error?)")
    return int(found.group(1).replace(",", ""))


def analyzed_copy(database_url: str, workdir: Path) -> str:
    """SQLite: a copy of the database with ANALYZE's statistics. The kept database is left
    as seeded (bench/explain.py's plans are read from it); the app names its indexes and
    does not need the statistics, but Flask-Admin's queries would be planned blind without
    them: 7× slower on the unfiltered page. PostgreSQL databases are already ANALYZEd."""
    if not database_url.startswith("sqlite:///"):
        return database_url
    copy = workdir / "peer.sqlite3"
    shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as connection:
        connection.execute("ANALYZE")
    return f"sqlite:///{copy}"


def measure(env: dict, args: argparse.Namespace) -> dict[str, list[float]]:
    ours_port, peer_port = run.free_port(), run.free_port()
    servers = []
    try:
        servers.append(run.start_gunicorn(env, ours_port))
        servers.append(run.start_gunicorn(env, peer_port, app="bench.peer:app",
                                          bin_dir=args.peer_venv / "bin"))
        ours_base, peer_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{peer_port}"
        cookie = [f"Cookie: {run.login_cookie(ours_base, args.password_file.read_text().strip())}"]
        targets = []
        for name, our_path, peer_path in PAGES:
            ours, _ = fetch(ours_base + our_path, cookie)
            theirs, seconds = fetch(peer_base + peer_path, [])
            counts = (row_count("ours", name, ours, r"Showing [\d,]+–[\d,]+ of ([\d,]+)"),
                      row_count("Flask-Admin", name, theirs, r"List \((\d+)\)"))
            if counts[0] != counts[1]:
                sys.exit(f"{name}: the pages list different rows: {counts[0]} and {counts[1]}")
            print(f"{name}: both pages list {counts[0]:,} rows")
            # After a wrk run, each of the 2 workers may still owe its share of the 8
            # requests wrk left open: wait that long (ours are ~1 ms, the peer's ~0.5 s).
            backlog = (8 // 2 + 1) * seconds + 0.5
            targets += [(f"ours, {name}", ours_base + our_path, cookie, 0.5),
                        (f"Flask-Admin, {name}", peer_base + peer_path, [], backlog)]
        for _, url, headers, settle in targets:
            run.wrk(url, headers, 2)  # warm-up
            time.sleep(settle)
        runs: dict[str, list[float]] = {name: [] for name, *_ in targets}
        for _ in range(args.repeat):
            for name, url, headers, settle in targets:
                runs[name].append(run.wrk(url, headers, args.duration))
                time.sleep(settle)
        return runs
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--password-file", required=True, type=Path)
    parser.add_argument("--peer-venv", type=Path, default=PEER_VENV)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    if args.duration < 1 or args.repeat < 1:
        parser.error("--duration and --repeat must be at least 1")
    if not (args.peer_venv / "bin" / "gunicorn").exists():
        sys.exit(f"no peer virtualenv at {args.peer_venv}: see this script's docstring")
    if args.nice:
        run.NICE = ["nice", "-n", str(args.nice)]
    with tempfile.TemporaryDirectory() as workdir:
        database_url = analyzed_copy(args.database_url, Path(workdir))
        env = dict(os.environ, DATABASE_URL=database_url, FLASK_SECRET_KEY="bench-secret",
                   FLASK_LOG_LEVEL="WARNING")
        runs = measure(env, args)
    print(f"\nwrk -t1 -c8, {args.duration} s × {args.repeat} runs, medians; {args.database_url}"
          f"{' (an ANALYZEd copy)' if database_url != args.database_url else ''}\n")
    print("| page | ours req/s | Flask-Admin req/s | ours ÷ Flask-Admin | runs (ours; Flask-Admin) |")
    print("|---|---|---|---|---|")
    for name, _, _ in PAGES:
        mine, theirs = runs[f"ours, {name}"], runs[f"Flask-Admin, {name}"]
        print(f"| {name} | {statistics.median(mine):.0f} | {statistics.median(theirs):.1f} | "
              f"{statistics.median(mine) / statistics.median(theirs):.0f} × | "
              f"{', '.join(f'{r:.0f}' for r in mine)}; {', '.join(f'{r:.1f}' for r in theirs)} |")


if __name__ == "__main__":
    main()
