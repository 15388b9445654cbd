"""A/B: the same pages served by two checkouts of the app, side by side, on one database.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/ab.py --old /tmp/old \
        --password-file bench/results/instance-sqlite-1000/owner-password \
        --database-url sqlite:///$PWD/bench/results/instance-sqlite-1000/bench.sqlite3

Starts gunicorn (2 sync workers, `--no-control-socket`) from the other checkout ("A") and
from this one ("B") against the same database (both only read it), logs in to each, then
runs `wrk` on hello-layout, the plugin configs page and the filtered list, alternating A
and B target by target for `--repeat` rounds, and prints medians and ratios to each side's
own hello-layout. On a shared machine whose speed drifts by minutes, this compares two
versions of the code under the same conditions, which two separate `run.py` runs do not.
The owner's password: `run.py` writes it to `owner-password` in each database's instance
folder under bench/results/ (kept with `--keep`); or `--password` from seed-demo's table.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import run  # noqa: E402  (bench/ is not a package on the path by itself)

TARGETS = {
    "hello-layout": "/bench/hello-layout/",
    "plugin configs page": f"/settings/{run.ORG}/plugins/",
    "integrations list (features+status)":
        f"/settings/{run.ORG}/integrations/?features=alert-rule&status=active&status=disabled",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the other checkout (a git worktree)")
    parser.add_argument("--database-url", required=True)
    password = parser.add_mutually_exclusive_group(required=True)
    password.add_argument("--password", help="the demo owner's password")
    password.add_argument("--password-file", type=Path, help="a file holding it (run.py writes one)")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()
    if args.password_file:
        args.password = args.password_file.read_text().strip()
    if args.nice:
        run.NICE[:] = ["nice", "-n", str(args.nice)]
    env = dict(os.environ, DATABASE_URL=args.database_url, FLASK_SECRET_KEY="bench-ab",
               FLASK_LOG_LEVEL="WARNING")
    sides = {"A": (args.old, run.free_port()), "B": (str(run.ROOT), run.free_port())}
    procs = {side: run.start_gunicorn(env, port, Path(root)) for side, (root, port) in sides.items()}
    try:
        cookies = {side: [f"Cookie: {run.login_cookie(f'http://127.0.0.1:{port}', args.password)}"]
                   for side, (_, port) in sides.items()}
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for side, (_, port) in sides.items():
                for name, path in TARGETS.items():
                    headers = [] if name == "hello-layout" else cookies[side]
                    results.setdefault((side, name), []).append(
                        run.wrk(f"http://127.0.0.1:{port}{path}", headers, args.duration))
        for side, (root, _) in sides.items():
            hello = sorted(results[(side, "hello-layout")])[args.repeat // 2]
            print(f"{side}: {root}")
            for name in TARGETS:
                runs = results[(side, name)]
                median = sorted(runs)[args.repeat // 2]
                print(f"  {name}: {median:.0f} req/s, ratio {median / hello:.3f} "
                      f"(runs {', '.join(f'{r:.0f}' for r in runs)})")
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
