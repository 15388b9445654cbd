"""Instructions per request, counted by valgrind (callgrind): the bench targets' cost without
the machine's noise (bench/README.md, "Counted in instructions").

    .venv/bin/python bench/instructions.py \
        --password-file bench/results/instance-sqlite-1000/owner-password \
        --database-url sqlite:///$PWD/bench/results/instance-sqlite-1000/bench.sqlite3 \
        [--root /tmp/old] [--target "plugin configs page" ...] [--requests 100]

For each target of `bench/run.py` (and its reference), two processes run the app in-process
under `valgrind --tool=callgrind` (Flask's test client; cookie pages logged in as the demo
owner, the API with a token minted for the run and revoked after it). Both make 20 warm-up
requests, collect garbage and freeze what is left (`gc.freeze`, so a full collection's
timing does not decide the count); one then makes `--requests` more. The difference of
their totals ÷ `--requests` is one request's instructions, the test client's work included.
Repeat runs agreed within 0.5 %; compare counts taken with the same `--requests`.
`--root` counts another checkout (a git worktree) on the same database.

Both processes of a target run at once, one per core, ~1 minute a target: not beside a wrk
run. A count is not a time: PostgreSQL's own work runs in its server and is not counted.
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
import gc, json, sys
(name, path, auth), count, owner, password, token = json.loads(sys.argv[1])
from bench.reference import app
app.config["WTF_CSRF_ENABLED"] = False
client = app.test_client()
headers = {"Authorization": f"Bearer {token}"} if auth == "token" else {}
if auth == "cookie":
    if client.post("/login/", data={"email": owner, "password": password}).status_code != 302:
        sys.exit(f"login as {owner} failed: is the password that of this database?")

def get(times):
    for _ in range(times):
        status = client.get(path, headers=headers).status_code
        if status != 200:
            sys.exit(f"{name}: {path} answered {status}")

get(WARM)
gc.collect()
gc.freeze()
get(count)
"""

TOKEN = r"""
import sys
from bench.reference import app
from webapp.extensions import db
from webapp.services.accounts import get_user_by_email
from webapp.services.tokens import create_token, revoke_token
with app.app_context():
    user = get_user_by_email(sys.argv[1])
    if sys.argv[2] == "create":
        token, plaintext = create_token(user, "bench-instructions")
        db.session.commit()
        print(token.id, plaintext)
    else:
        revoke_token(user, int(sys.argv[2]))
        db.session.commit()
"""


def start_probe(root: Path, env: dict, target, count: int, password: str, token: str,
                log: Path) -> subprocess.Popen:
    """valgrind running PROBE: the warm-up, then `count` requests of `target`; log → `log`."""
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--log-file={log}",
           str(run.VENV_BIN / "python"), "-c", f"WARM = {WARM}\n" + PROBE,
           json.dumps([target, count, run.OWNER, password, token])]
    return subprocess.Popen(cmd, env=dict(env, PYTHONPATH=str(root)), cwd=root)


def api_token(root: Path, env: dict, action: str) -> str:
    """The owner's token for the API target: "create" gives "<id> <plaintext>"; an id revokes it."""
    return subprocess.run([str(run.VENV_BIN / "python"), "-c", TOKEN, run.OWNER, action],
                          env=dict(env, PYTHONPATH=str(root)), cwd=root, check=True, text=True,
                          capture_output=True).stdout.strip()


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
    password.add_argument("--password-file", type=Path,
                          help="a file holding it (run.py writes one)")
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
    root = args.root.resolve()
    env = dict(os.environ, DATABASE_URL=args.database_url, FLASK_SECRET_KEY="bench-instructions",
               FLASK_LOG_LEVEL="WARNING", PYTHONHASHSEED="0")
    token_id, token = None, ""
    if any(auth == "token" for _, _, auth, _ in targets):
        token_id, token = api_token(root, env, "create").split()
    counts: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, path, auth, _reference in targets:
                sizes = (0, args.requests)
                logs = [Path(tmp) / f"{len(counts)}-{count}.log" for count in sizes]
                procs = [start_probe(root, env, (name, path, auth), n, args.password, token, log)
                         for n, log in zip(sizes, logs, strict=True)]
                codes = [proc.wait() for proc in procs]  # both, even when one failed
                if any(codes):
                    tails = "\n".join("\n".join(log.read_text().splitlines()[-3:])
                                      for log, code in zip(logs, codes, strict=True) if code)
                    sys.exit(f"{name}: the probe failed (its message is above); the end of "
                             f"valgrind's log:\n{tails}")
                counts[name] = (total(logs[1]) - total(logs[0])) / args.requests
                print(f"   {name}: {counts[name] / 1e6:.2f} M instructions a request", flush=True)
    finally:
        if token_id:
            api_token(root, env, token_id)
    print(f"\n{root}, {args.database_url}, {args.requests} requests\n")
    print("| target | M instructions a request | ratio (by instructions) |")
    print("|---|---|---|")
    for name, _path, _auth, reference in targets:
        ratio = f"{counts[reference] / counts[name]:.2f} × {reference}" if reference else "—"
        print(f"| {name} | {counts[name] / 1e6:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
