"""Benchmark the list pages against the hello-world references (run by hand: `make bench`).

For each database (SQLite, and PostgreSQL when it answers) and each scale, this builds a
database with `flask db upgrade` + `seed-demo --scale N` (timed), starts gunicorn (2 sync
workers, --no-control-socket) on 127.0.0.1, checks every target answers 200, runs
`wrk -t1 -c8` against every target `--repeat` times (interleaved, after a warm-up run),
and prints medians, ratios to the references, the ratio of time per request at the largest
scale to the smallest, and SQL statements / SQL time per request (measured in-process, one
warm request each). Results go to bench/results/latest.{json,md}.

    .venv/bin/python bench/run.py [--scales 10,100,1000] [--dbs sqlite,pg] [--duration 10]
                                  [--repeat 3] [--keep]

Scale 10 ≈ 1k installations and 500 projects; 100 ≈ 10k installations and 5k projects (the
plugin configs goal); 1000 ≈ 100k installations and 50k projects.
PostgreSQL databases are VACUUM ANALYZEd after seeding (what autovacuum does to a live
database); SQLite databases are left as seeded (the app names its indexes there).
`--keep` leaves the databases for `bench/explain.py` (SQLite files under bench/results/,
PostgreSQL databases bench_<scale>).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
NICE: list[str] = []  # ["nice", "-n", "-10"] with --nice -10: gunicorn and wrk get the CPU first
PG_HOST = "127.0.0.1"
ORG = "demo"
OWNER = "owner@demo.example"

# (name, path, auth, reference). Pages are compared with "hello-layout": the same base
# layout as an org page renders it for a logged-in owner (org switcher, user menu, side nav)
# around a static 25-row table, from static data — no session, no SQL (bench/reference.py).
# "ratio (vs anonymous)" compares with the stricter anonymous layout (no user chrome at
# all); "hello-layout (logged in)" is the route with the real session, for information.
# The API list is compared with "hello-json": 100 static items of the API's own shape.
STRICT_REFERENCE = "hello-layout (anonymous)"
TARGETS = [
    ("hello-layout", "/bench/hello-layout/", None, None),
    (STRICT_REFERENCE, "/bench/hello-layout/?chrome=session", None, None),
    ("hello-layout (logged in)", "/bench/hello-layout/?chrome=session", "cookie", None),
    ("hello-json", "/bench/hello-json/", None, None),
    ("hello-json (small items)", "/bench/hello-json/?small=1", None, None),
    ("integrations list (features+status, 25 rows)",
     f"/settings/{ORG}/integrations/?features=alert-rule&status=active&status=disabled",
     "cookie", "hello-layout"),
    ("integrations list (no filter, 25 rows)", f"/settings/{ORG}/integrations/", "cookie",
     "hello-layout"),
    ("plugin configs page", f"/settings/{ORG}/plugins/", "cookie", "hello-layout"),
    ("API integrations list (per_page=100)",
     f"/api/0/organizations/{ORG}/integrations/?per_page=100", "token", "hello-json"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args, capture=False):
    cmd = [str(VENV_BIN / "flask"), "--app", "webapp", *args]
    return subprocess.run(cmd, env=env, check=True, text=True, capture_output=capture, cwd=ROOT)


def psql(*args, database="postgres"):
    subprocess.run(["psql", "-h", PG_HOST, "-U", "postgres", "-d", database, "-qc", *args],
                   check=True)


def owner_password(seed_output: str) -> str:
    """The owner's password from seed-demo's login table (`  email  role  password`)."""
    for line in seed_output.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == OWNER and fields[1] == "owner":
            return fields[-1]
    sys.exit("could not find the owner's password in seed-demo output:\n" + seed_output)


def prepare_database(db_kind: str, scale: int, label: str = "") -> dict:
    """A fresh, seeded database (`label` tells apart another script's, e.g. "-bulk")."""
    instance = RESULTS / f"instance-{db_kind}-{scale}{label}"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=str(instance), FLASK_SECRET_KEY="bench-secret",
               FLASK_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    if db_kind == "pg":
        name = f"bench_{scale}{label.replace('-', '_')}"
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@{PG_HOST}:5432/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance}/bench.sqlite3"
    flask(env, "db", "upgrade", capture=True)
    started = time.perf_counter()
    out = flask(env, "seed-demo", "--scale", str(scale), capture=True).stdout
    seed_seconds = time.perf_counter() - started
    summary = out.splitlines()[0] if out else ""
    token = flask(env, "create-token", OWNER, "--name", "bench",
                  capture=True).stdout.strip().splitlines()[-1]
    if db_kind == "pg":
        psql("VACUUM ANALYZE", database=name)
    password = owner_password(out)
    (instance / "owner-password").write_text(password)  # for bench/ab.py on a --keep database
    return {"env": env, "password": password, "token": token,
            "seed_seconds": seed_seconds, "seed_summary": summary}


def drop_database(db_kind: str, scale: int, label: str = "") -> None:
    if db_kind == "pg":
        psql(f"DROP DATABASE IF EXISTS bench_{scale}{label.replace('-', '_')} WITH (FORCE)")
    else:
        shutil.rmtree(RESULTS / f"instance-{db_kind}-{scale}{label}", ignore_errors=True)


def login_cookie(base: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # No User-Agent, as wrk sends none: Flask-Login's session protection hashes the address
    # and the User-Agent, and a mismatch would rewrite the session on every wrk request.
    opener.addheaders = []
    page = opener.open(f"{base}/login/").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    data = urllib.parse.urlencode({"email": OWNER, "password": password,
                                   "csrf_token": csrf.group(1) if csrf else ""}).encode()
    try:
        opener.open(f"{base}/login/", data=data).read()
    except urllib.error.HTTPError as exc:  # the form answers 400 to a wrong password
        sys.exit(f"login as {OWNER} failed ({exc.code}): is the password that of this database?")
    # One page first, as a browser does after logging in: the session then holds its CSRF
    # token and remembered org, and later pages leave it as it is. wrk replays one cookie,
    # so the cookie right after login would make every request rewrite the session.
    opener.open(f"{base}/settings/{ORG}/integrations/").read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        sys.exit("login failed: no session cookie")
    return cookie


def start_gunicorn(env: dict, port: int, root: Path = ROOT, app: str = "bench.reference:app",
                   bin_dir: Path = VENV_BIN) -> subprocess.Popen:
    """gunicorn of the virtualenv *bin_dir* serving *app* of the checkout at *root*
    (bench/ab.py serves another checkout beside this one, bench/compare_peer.py the
    Flask-Admin peer from its own virtualenv)."""
    proc = subprocess.Popen(
        [*NICE, str(bin_dir / "gunicorn"), "--no-control-socket", "-w", "2", "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(root), app],
        env=dict(env, PYTHONPATH=str(root)),
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start")


def status_of(url: str, headers: list[str]) -> int:
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wrk(url: str, headers: list[str], duration: int) -> float:
    cmd = [*NICE, "wrk", "-t1", "-c8", f"-d{duration}s", "--timeout", "10s"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], check=True, text=True, capture_output=True).stdout
    problems = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if problems:
        sys.exit(f"{url}: {problems.group(1)} error responses under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


SQL_PROBE = r"""
import json, sys, time
from sqlalchemy import event
from bench.reference import app
from webapp.extensions import db, login_manager
import webapp.services.permissions as permissions
import webapp.services.tokens as tokens

targets, password, token = json.loads(sys.argv[1])
state = {"n": 0, "t": 0.0, "auth": 0, "in_auth": 0, "sql": []}

def counted(fn):
    def wrapper(*args, **kwargs):
        state["in_auth"] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            state["in_auth"] -= 1
    return wrapper

# Statements run to authenticate (load the user, resolve the org membership, check a token)
# are counted apart: "page" statements are the rest.
def patch_everywhere(original):
    wrapped = counted(original)
    for module in list(sys.modules.values()):
        if module is sys.modules["__main__"]:
            continue
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is original:
                setattr(module, name, wrapped)

patch_everywhere(permissions.get_org_access)
patch_everywhere(tokens.authenticate_token)
login_manager._user_callback = counted(login_manager._user_callback)

with app.app_context():
    engine = db.engine

def before(conn, cursor, statement, params, context, many):
    conn.info["t0"] = time.perf_counter()

def after(conn, cursor, statement, params, context, many):
    state["n"] += 1
    state["t"] += time.perf_counter() - conn.info["t0"]
    state["auth"] += 1 if state["in_auth"] else 0
    state["sql"].append(("auth: " if state["in_auth"] else "") + " ".join(statement.split())[:160])

event.listen(engine, "before_cursor_execute", before)
event.listen(engine, "after_cursor_execute", after)
app.config["WTF_CSRF_ENABLED"] = False
client = app.test_client()
client.post("/login/", data={"email": "owner@demo.example", "password": password})
stats = {}
for name, path, auth, _ in targets:
    headers = {"Authorization": f"Bearer {token}"} if auth == "token" else {}
    use = app.test_client() if auth != "cookie" else client
    for _ in range(3):  # warm: compiled statements, templates
        use.get(path, headers=headers)
    sql_ms, request_ms = [], []
    for _ in range(7):  # medians of 7 requests
        state.update(n=0, t=0.0, auth=0, sql=[])
        started = time.perf_counter()
        status = use.get(path, headers=headers).status_code
        request_ms.append((time.perf_counter() - started) * 1000)
        sql_ms.append(state["t"] * 1000)
    stats[name] = {"status": status, "statements": state["n"], "auth_statements": state["auth"],
                   "sql_ms": round(sorted(sql_ms)[3], 2),
                   "request_ms": round(sorted(request_ms)[3], 2),
                   "sql": list(state["sql"])}
print(json.dumps(stats))
"""


def sql_per_request(env: dict, password: str, token: str) -> dict:
    """Statements and SQL time for one warm request of each target, in-process."""
    out = subprocess.run([str(VENV_BIN / "python"), "-c", SQL_PROBE,
                          json.dumps([TARGETS, password, token])],
                         env=env, cwd=ROOT, check=True, text=True, capture_output=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def pg_answers() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", PG_HOST]).returncode == 0


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           text=True, capture_output=True).stdout.strip()
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "commit": commit + (" (+ uncommitted changes)" if dirty else "")}


def markdown(info: dict, report: list[dict], seeds: list[dict]) -> str:
    lines = [
        f"Run {info['date']} on {info['nproc']} × {info['cpu']}, {info['ram']} RAM, "
        f"Python {info['python']}, commit {info['commit']}; gunicorn 2 sync workers, "
        f"wrk -t1 -c8, {info['duration']} s × {info['repeat']} runs, medians"
        + (f", gunicorn and wrk at nice {info['nice']}." if info.get("nice") else "."),
        "",
        "| db | scale | target | req/s (median) | runs | ratio | ratio (vs anonymous) "
        "| × time vs smallest scale | SQL statements (auth + page) | SQL ms | in-process ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report:
        ratio = f"{row['ratio']:.2f} × {row['reference']}" if row.get("ratio") is not None else "—"
        strict = f"{row['ratio_strict']:.2f}" if row.get("ratio_strict") is not None else "—"
        growth = f"{row['growth']:.2f}" if row.get("growth") is not None else "—"
        if row.get("statements") is not None:
            page = row["statements"] - row.get("auth_statements", 0)
            statements = f"{row['statements']} ({row.get('auth_statements', 0)} + {page})"
        else:
            statements = "—"
        req = f"{row['req_s']:.0f}" if row.get("req_s") is not None else row.get("note", "—")
        runs = ", ".join(f"{r:.0f}" for r in row.get("runs", []))
        lines.append(f"| {row['db']} | {row['scale']} | {row['target']} | {req} | {runs} | "
                     f"{ratio} | {strict} | {growth} | {statements} | {row.get('sql_ms', '—')} | "
                     f"{row.get('request_ms', '—')} |")
    lines += ["", "| db | scale | seed-demo (s) | seeded |", "|---|---|---|---|"]
    for seed in seeds:
        lines.append(f"| {seed['db']} | {seed['scale']} | {seed['seconds']:.1f} | {seed['summary']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10,100,1000",
                        help="seed-demo scales (10 ≈ 1k installations, 100 ≈ 10k installations "
                             "and 5k projects, 1000 ≈ 100k installations and 50k projects)")
    parser.add_argument("--dbs", default="sqlite,pg")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--nice", type=int, default=0,
                        help="run gunicorn and wrk at this niceness (e.g. -10 as root, on a "
                             "machine other work is using; the ratios stay fair: both sides)")
    args = parser.parse_args()
    if args.nice:
        NICE[:] = ["nice", "-n", str(args.nice)]
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = {**machine(), "duration": args.duration, "repeat": args.repeat, "nice": args.nice}
    scales = [int(s) for s in args.scales.split(",")]
    report: list[dict] = []
    seeds: list[dict] = []
    for db_kind in args.dbs.split(","):
        if db_kind == "pg" and not pg_answers():
            print("PostgreSQL does not answer; skipping pg", flush=True)
            continue
        for scale in scales:
            print(f"== {db_kind}, scale {scale}: preparing the database", flush=True)
            prepared = prepare_database(db_kind, scale)
            seeds.append({"db": db_kind, "scale": scale, "seconds": prepared["seed_seconds"],
                          "summary": prepared["seed_summary"]})
            print(f"   seed-demo: {prepared['seed_seconds']:.1f} s ({prepared['seed_summary']})",
                  flush=True)
            sql = sql_per_request(prepared["env"], prepared["password"], prepared["token"])
            port = free_port()
            proc = start_gunicorn(prepared["env"], port)
            try:
                base = f"http://127.0.0.1:{port}"
                cookie = login_cookie(base, prepared["password"])
                headers_of = {None: [], "cookie": [f"Cookie: {cookie}"],
                              "token": [f"Authorization: Bearer {prepared['token']}"]}
                live = []
                for name, path, auth, _ref in TARGETS:
                    status = status_of(base + path, headers_of[auth])
                    if status == 200:
                        live.append((name, path, auth))
                        wrk(base + path, headers_of[auth], 2)  # warm-up
                    else:
                        print(f"   {name}: answers {status}; not measured", flush=True)
                runs: dict[str, list[float]] = {name: [] for name, _, _ in live}
                for _ in range(args.repeat):
                    for name, path, auth in live:
                        runs[name].append(wrk(base + path, headers_of[auth], args.duration))
                for name, _path, _auth, ref in TARGETS:
                    row = {"db": db_kind, "scale": scale, "target": name, "reference": ref,
                           **{k: v for k, v in sql.get(name, {}).items() if k != "sql"},
                           "sql": sql.get(name, {}).get("sql", [])}
                    if name in runs:
                        row["runs"] = runs[name]
                        row["req_s"] = statistics.median(runs[name])
                        print(f"   {name}: {row['req_s']:.0f} req/s "
                              f"(runs {', '.join(f'{r:.0f}' for r in runs[name])})", flush=True)
                    else:
                        row["req_s"] = None
                        row["note"] = f"HTTP {sql.get(name, {}).get('status', '?')}"
                    report.append(row)
                for row in report:
                    if row["db"] == db_kind and row["scale"] == scale and row["reference"]:
                        for key, ref_name in (("ratio", row["reference"]),
                                              ("ratio_strict", STRICT_REFERENCE)):
                            if key == "ratio_strict" and row["reference"] != "hello-layout":
                                continue
                            ref = next((r for r in report if r["db"] == db_kind
                                        and r["scale"] == scale and r["target"] == ref_name), None)
                            if row["req_s"] and ref and ref["req_s"]:
                                row[key] = row["req_s"] / ref["req_s"]
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            if not args.keep:
                drop_database(db_kind, scale)
    smallest, largest = min(scales), max(scales)
    for row in report:
        if row["scale"] == largest and largest != smallest and row["req_s"]:
            small = next((r for r in report if r["db"] == row["db"] and r["scale"] == smallest
                          and r["target"] == row["target"]), None)
            if small and small["req_s"]:
                row["growth"] = small["req_s"] / row["req_s"]
    (RESULTS / "latest.json").write_text(json.dumps({"machine": info, "seeds": seeds,
                                                     "results": report}, indent=2))
    table = markdown(info, report, seeds)
    (RESULTS / "latest.md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    main()
