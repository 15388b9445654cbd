"""The installed-integrations list against Flask-Admin's list view of the same rows (issue 7:
"≥ 10 × Flask-Admin's list view, with its related columns joined"). Run by hand.

It serves the app (`bench.reference:app`, this checkout's virtualenv) and the Flask-Admin
peer (`bench.peer:app`, the peer virtualenv) side by side with gunicorn (2 sync workers
each, `--no-control-socket`) on one database kept by `bench/run.py --keep`, checks that
both pages list the same number of rows, then runs `wrk -t1 -c8` against each page
`--repeat` times, interleaved, and prints the medians and the ratios.

    make bench-peer    # what follows, on the scale-1000 databases `bench/run.py --keep` left
    python3 -m venv bench/.venv-peer
    bench/.venv-peer/bin/pip install -e . flask-admin
    .venv/bin/python bench/compare_peer.py --nice -10 \\
        --database-url sqlite:///$PWD/bench/results/instance-sqlite-1000/bench.sqlite3 \\
        --password-file bench/results/instance-sqlite-1000/owner-password
"""

import argparse
import os
import re
import statistics
import sys
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


def settle(url: str) -> None:
    """Wait until the server of `url` has answered the requests wrk left queued: a slow
    page's backlog (8 connections × ~0.2 s) would otherwise run during the next target's
    measurement. Two health checks in a row pass both workers' queues."""
    base = "/".join(url.split("/", 3)[:3])
    for _ in range(2):
        urllib.request.urlopen(f"{base}/healthz", timeout=120).read()
    time.sleep(0.5)


def fetch(url: str, headers: list[str]) -> str:
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode()


def row_counts(ours: str, peer: str) -> tuple[int, int]:
    """("Showing 1–25 of N installations", Flask-Admin's "List (N)")."""
    our_total = re.search(r"Showing [\d,]+–[\d,]+ of ([\d,]+)", ours)
    peer_total = re.search(r"List \((\d+)\)", peer)
    if not our_total or not peer_total:
        sys.exit("could not read the row counts of the two pages")
    return int(our_total.group(1).replace(",", "")), int(peer_total.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--password-file", required=True, type=Path)
    parser.add_argument("--peer-venv", type=Path, default=PEER_VENV)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    if not (args.peer_venv / "bin" / "gunicorn").exists():
        sys.exit(f"no peer virtualenv at {args.peer_venv}: see this script's docstring")
    if args.nice:
        run.NICE = ["nice", "-n", str(args.nice)]
    env = dict(os.environ, DATABASE_URL=args.database_url, FLASK_SECRET_KEY="bench-secret",
               FLASK_LOG_LEVEL="WARNING")
    ours_port, peer_port = run.free_port(), run.free_port()
    ours = run.start_gunicorn(env, ours_port)
    peer = run.start_gunicorn(env, peer_port, app="bench.peer:app",
                              bin_dir=args.peer_venv / "bin")
    try:
        ours_base, peer_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{peer_port}"
        cookie = [f"Cookie: {run.login_cookie(ours_base, args.password_file.read_text().strip())}"]
        targets = []
        for name, our_path, peer_path in PAGES:
            counts = row_counts(fetch(ours_base + our_path, cookie), fetch(peer_base + peer_path, []))
            if counts[0] != counts[1]:
                sys.exit(f"{name}: the pages list different rows: {counts[0]} and {counts[1]}")
            print(f"{name}: both pages list {counts[0]:,} rows")
            targets += [(f"ours, {name}", ours_base + our_path, cookie),
                        (f"Flask-Admin, {name}", peer_base + peer_path, [])]
        for _, url, headers in targets:
            run.wrk(url, headers, 2)  # warm-up
            settle(url)
        runs: dict[str, list[float]] = {name: [] for name, _, _ in targets}
        for _ in range(args.repeat):
            for name, url, headers in targets:
                runs[name].append(run.wrk(url, headers, args.duration))
                settle(url)
    finally:
        for proc in (ours, peer):
            proc.terminate()
            proc.wait()
    print(f"\nwrk -t1 -c8, {args.duration} s × {args.repeat} runs, medians; {args.database_url}\n")
    print("| page | ours req/s | Flask-Admin req/s | ours ÷ Flask-Admin | runs (ours; Flask-Admin) |")
    print("|---|---|---|---|---|")
    for name, _, _ in PAGES:
        mine, theirs = runs[f"ours, {name}"], runs[f"Flask-Admin, {name}"]
        print(f"| {name} | {statistics.median(mine):.0f} | {statistics.median(theirs):.1f} | "
              f"{statistics.median(mine) / statistics.median(theirs):.0f} × | "
              f"{', '.join(f'{r:.0f}' for r in mine)}; {', '.join(f'{r:.1f}' for r in theirs)} |")


if __name__ == "__main__":
    main()
