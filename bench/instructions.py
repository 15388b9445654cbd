"""Instructions per request, counted by valgrind (callgrind): the bench targets' cost without
the machine's noise.

    .venv/bin/python bench/instructions.py \
        --password-file bench/results/instance-sqlite-1000/owner-password \
        --database-url sqlite:///$PWD/bench/results/instance-sqlite-1000/bench.sqlite3 \
        [--root /tmp/old] [--target "plugin configs page" ...] [--requests 100]

wrk's req/s on a shared machine swings by 15 % or more from one minute to the next (other
tenants' load, the CPU's caches). An instruction count does not: the same code on the same
data counts the same instructions on every run, within ~0.3 % (PYTHONHASHSEED is fixed;
compare counts taken with the same `--requests`). So this compares two versions of the code
(`--root`: another checkout, e.g. a git worktree) far more finely than two wrk runs can,
and measures what one part of a page costs: remove it in a worktree and count again.

For each target of `bench/run.py`, two processes run the app in-process (Flask's test
client, logged in as the demo owner, the API with a token minted for the run) under
`valgrind --tool=callgrind`: both warm the target with 20 requests, one then makes
`--requests` more. The difference of their totals, divided by `--requests`, is one
request's instructions, the test client's own work included (as wrk's requests include
gunicorn's). Both processes of a target run at once (one per core), ~1 minute a target.

What it does not show: time. Instructions that miss the caches or wait on a system call
cost more than others, and a page's own instructions are more of those than the
hello-world route's (bench/README.md: by time the list is at about 0.8 × its instruction
ratio). PostgreSQL's own work runs in its server, which is not counted here.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import run  # noqa: E402  (bench/ is not a package on the path by itself)

WARM = 20

PROBE = r"""
import json, sys
target, count, password = json.loads(sys.argv[1])
name, path, auth = target
from bench.reference import app
app.config["WTF_CSRF_ENABLED"] = False
client = app.test_client()
headers = {}
if auth == "cookie":
    client.post("/login/", data={"email": OWNER, "password": password})
elif auth == "token":
    from webapp.extensions import db
    from webapp.services.accounts import get_user_by_email
    from webapp.services.tokens import create_token
    with app.app_context():
        _, token = create_token(get_user_by_email(OWNER), "bench-instructions")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
for _ in range(count):
    status = client.get(path, headers=headers).status_code
    if status != 200:
        sys.exit(f"{name}: {path} answered {status}")
"""


def instructions(root: Path, env: dict, target, count: int, password: str, out: Path) -> subprocess.Popen:
    """valgrind running PROBE for `count` requests of `target`; its total goes to `out`."""
    probe = f"OWNER = {run.OWNER!r}\n" + PROBE
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           f"--log-file={out}", str(run.VENV_BIN / "python"), "-c", probe,
           json.dumps([target, count, password])]
    return subprocess.Popen(cmd, env=dict(env, PYTHONPATH=str(root)), cwd=root)


def total(log: Path) -> int:
    for line in log.read_text().splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    sys.exit(f"no callgrind total in {log}:\n{log.read_text()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    password = parser.add_mutually_exclusive_group(required=True)
    password.add_argument("--password", help="the demo owner's password")
    password.add_argument("--password-file", type=Path, help="a file holding it (run.py writes one)")
    parser.add_argument("--root", type=Path, default=run.ROOT,
                        help="the checkout to measure (default: this one)")
    parser.add_argument("--target", action="append", dest="targets", metavar="NAME",
                        help="a target of bench/run.py, by name (repeat it; default: all); "
                             "its reference is measured with it")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed: apt-get install -y valgrind")
    if args.password_file:
        args.password = args.password_file.read_text().strip()
    targets = run.TARGETS
    if args.targets:
        wanted = args.targets
        unknown = sorted(set(wanted) - {t[0] for t in run.TARGETS})
        if unknown:
            parser.error(f"unknown target {unknown[0]!r}; the targets: "
                         + "; ".join(t[0] for t in run.TARGETS))
        references = {t[3] for t in run.TARGETS if t[0] in wanted}
        targets = [t for t in run.TARGETS if t[0] in wanted or t[0] in references]
    env = dict(os.environ, DATABASE_URL=args.database_url, FLASK_SECRET_KEY="bench-instructions",
               FLASK_LOG_LEVEL="WARNING", PYTHONHASHSEED="0")
    counts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, auth, _reference in targets:
            logs = (Path(tmp) / f"{len(counts)}-warm.log", Path(tmp) / f"{len(counts)}-more.log")
            procs = [instructions(args.root, env, (name, path, auth), WARM, args.password, logs[0]),
                     instructions(args.root, env, (name, path, auth), WARM + args.requests,
                                  args.password, logs[1])]
            if any(proc.wait() != 0 for proc in procs):
                sys.exit(f"{name}: the probe failed (see above)")
            counts[name] = (total(logs[1]) - total(logs[0])) / args.requests
            print(f"   {name}: {counts[name] / 1e6:.2f} M instructions a request", flush=True)
    print(f"\n{args.root}, {args.database_url}\n")
    print("| target | M instructions a request | ratio (by instructions) |")
    print("|---|---|---|")
    for name, _path, _auth, reference in targets:
        ratio = f"{counts[reference] / counts[name]:.2f} × {reference}" if reference else "—"
        print(f"| {name} | {counts[name] / 1e6:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
