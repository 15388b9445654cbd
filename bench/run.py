"""Benchmark the list pages against the hello-world references (run by hand: `make bench`).

For each database (SQLite, and PostgreSQL when it answers) and each scale, this builds a
database with `seed-demo --scale N`, starts gunicorn (2 sync workers, --no-control-socket)
on 127.0.0.1, runs `wrk -t1 -c8` against every target 3 times, and prints medians, ratios
to the references, and SQL statements / SQL time per request (measured in-process).

    .venv/bin/python bench/run.py [--scales 10,1000] [--dbs sqlite,pg] [--duration 10]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ORG = "demo"

TARGETS = [
    # (name, path, auth, reference)
    ("hello-layout", "/bench/hello-layout/", None, None),
    ("hello-json", "/bench/hello-json/", None, None),
    ("integrations list (features+status, 25 rows)",
     f"/settings/{ORG}/integrations/?features=alert-rule&status=active&status=disabled",
     "cookie", "hello-layout"),
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
    return subprocess.run(cmd, env=env, check=True, text=True,
                          capture_output=capture, cwd=ROOT)


def prepare_database(db_kind: str, scale: int) -> dict:
    instance = RESULTS / f"instance-{db_kind}-{scale}"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    env = dict(os.environ, WEBAPP_INSTANCE_PATH=str(instance), FLASK_SECRET_KEY="bench-secret",
               FLASK_LOG_LEVEL="WARNING")
    if db_kind == "pg":
        name = f"bench_{scale}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"CREATE DATABASE {name}"], check=True)
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance}/bench.sqlite3"
    flask(env, "db", "upgrade")
    started = time.perf_counter()
    out = flask(env, "seed-demo", "--scale", str(scale), capture=True).stdout
    seed_seconds = time.perf_counter() - started
    password = re.search(r"owner@demo\.example\S*\s+\S+\s+(\S+)", out)
    if not password:
        sys.exit("could not find the owner's password in seed-demo output:\n" + out)
    token = flask(env, "create-token", "owner@demo.example", "--name", "bench",
                  capture=True).stdout.strip().splitlines()[-1]
    if db_kind == "pg":
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", f"bench_{scale}",
                        "-qc", "VACUUM ANALYZE"], check=True)
    return {"env": env, "password": password.group(1), "token": token, "seed_seconds": seed_seconds}


def login_cookie(base: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    data = urllib.parse.urlencode({"email": "owner@demo.example", "password": password,
                                   "csrf_token": csrf.group(1) if csrf else ""}).encode()
    opener.open(f"{base}/login/", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        sys.exit("login failed: no session cookie")
    return cookie


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--no-control-socket", "-w", "2", "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT),
         "bench.reference:app"],
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start")


def wrk(url: str, headers: list[str], duration: int) -> float:
    cmd = ["wrk", "-t1", "-c8", f"-d{duration}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], check=True, text=True, capture_output=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"{url}: {non2xx.group(1)} error responses under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def sql_per_request(env: dict, cookie_password: str, token: str) -> dict:
    """Statements and SQL time for one request of each target, in-process."""
    code = f"""
import json, time
from sqlalchemy import event
from bench.reference import app
from webapp.extensions import db
stats = {{}}
with app.app_context():
    engine = db.engine
state = {{"n": 0, "t": 0.0}}
def before(conn, cursor, statement, params, context, many):
    conn.info["t0"] = time.perf_counter()
def after(conn, cursor, statement, params, context, many):
    state["n"] += 1; state["t"] += time.perf_counter() - conn.info["t0"]
event.listen(engine, "before_cursor_execute", before)
event.listen(engine, "after_cursor_execute", after)
client = app.test_client()
app.config["WTF_CSRF_ENABLED"] = False
client.post("/login/", data={{"email": "owner@demo.example", "password": {cookie_password!r}}})
for name, path, auth, _ in {TARGETS!r}:
    headers = {{"Authorization": "Bearer {token}"}} if auth == "token" else {{}}
    client.get(path, headers=headers)  # warm
    state["n"] = 0; state["t"] = 0.0
    started = time.perf_counter()
    status = client.get(path, headers=headers).status_code
    stats[name] = {{"status": status, "statements": state["n"], "sql_ms": round(state["t"] * 1000, 2),
                    "total_ms": round((time.perf_counter() - started) * 1000, 2)}}
print(json.dumps(stats))
"""
    out = subprocess.run([str(VENV_BIN / "python"), "-c", code], env=env, cwd=ROOT, check=True,
                         text=True, capture_output=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def pg_answers() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10,1000", help="seed-demo scales (10 ≈ 1k, 1000 ≈ 100k)")
    parser.add_argument("--dbs", default="sqlite,pg")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = []
    for db_kind in args.dbs.split(","):
        if db_kind == "pg" and not pg_answers():
            print("PostgreSQL does not answer; skipping pg")
            continue
        for scale in [int(s) for s in args.scales.split(",")]:
            print(f"== {db_kind}, scale {scale}: preparing database", flush=True)
            prepared = prepare_database(db_kind, scale)
            port = free_port()
            proc = start_gunicorn(prepared["env"], port)
            try:
                base = f"http://127.0.0.1:{port}"
                cookie = login_cookie(base, prepared["password"])
                sql = sql_per_request(prepared["env"], prepared["password"], prepared["token"])
                medians = {}
                for name, path, auth, _ in TARGETS:
                    headers = []
                    if auth == "cookie":
                        headers.append(f"Cookie: {cookie}")
                    elif auth == "token":
                        headers.append(f"Authorization: Bearer {prepared['token']}")
                    runs = [wrk(base + path, headers, args.duration) for _ in range(args.repeat)]
                    medians[name] = statistics.median(runs)
                    print(f"   {name}: {medians[name]:.0f} req/s (runs {', '.join(f'{r:.0f}' for r in runs)})",
                          flush=True)
                for name, _path, _auth, ref in TARGETS:
                    report.append({
                        "db": db_kind, "scale": scale, "target": name, "req_s": round(medians[name], 1),
                        "reference": ref, "ratio": round(medians[name] / medians[ref], 3) if ref else None,
                        **sql.get(name, {}), "seed_seconds": round(prepared["seed_seconds"], 1),
                    })
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print("\n| db | scale | target | req/s | ratio to reference | SQL statements | SQL ms | request ms |")
    print("|---|---|---|---|---|---|---|---|")
    for row in report:
        ratio = f"{row['ratio']:.2f} × {row['reference']}" if row["ratio"] is not None else "—"
        print(f"| {row['db']} | {row['scale']} | {row['target']} | {row['req_s']:.0f} | {ratio} | "
              f"{row.get('statements', '—')} | {row.get('sql_ms', '—')} | {row.get('total_ms', '—')} |")


if __name__ == "__main__":
    main()
