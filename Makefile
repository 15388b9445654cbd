# The two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-pg lint install install-test browser axe slapd postgres bench bench-peer clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: install, migrate the SQLite database in instance/, seed demo data if empty, serve.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty --server http://$(HOST):$(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: lint, then the whole suite on SQLite and (when it answers) on PostgreSQL.
test: install-test browser axe slapd lint test-sqlite test-pg

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy webapp

test-sqlite: install-test
	env -u DATABASE_URL $(VENV)/bin/pytest -q

test-pg: install-test postgres
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "== PostgreSQL: $(PG_URL)"; \
		DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -q; \
	else \
		echo "== PostgreSQL does not answer on 127.0.0.1:5432: PostgreSQL run skipped"; \
	fi

# Debian's chromium for the Playwright tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)"; fi; }

# axe-core from the npm registry for the accessibility test (tests/browser/test_accessibility.py),
# installed from its lock file into tests/browser/axe/node_modules (git-ignored) when missing or
# older than the lock file. Without npm the test is skipped and says why.
AXE_DIR := tests/browser/axe
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js
axe:
	@if [ ! -f $(AXE_JS) ] || [ $(AXE_DIR)/package-lock.json -nt $(AXE_JS) ]; then \
		if command -v npm >/dev/null 2>&1; then \
			(cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error) && touch $(AXE_JS); \
		else echo "npm missing: install Node.js (apt-get install -y npm) for the accessibility test (it will be skipped)"; fi; \
	fi

# Debian's slapd and ldap-utils for the directory-login tests, which start a private server
# of their own on a free loopback port (tests/slapd.py); the system's slapd is never used.
slapd:
	@test -x /usr/sbin/slapd && command -v ldapadd >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null; \
		else echo "slapd missing: run 'sudo apt-get install -y slapd ldap-utils' (directory-login tests will be skipped)"; fi; }

# Start the local cluster when it is installed but down.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start || true; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

bench: install-test
	$(PY) bench/run.py

# The list against Flask-Admin's list view of the same rows, on the scale-1000 databases that
# `bench/run.py --keep` left (bench/README.md). Flask-Admin lives in its own virtualenv, at
# the version whose filter numbers bench/compare_peer.py uses.
PEER_VENV := bench/.venv-peer
KEPT_SQLITE := bench/results/instance-sqlite-1000
KEPT_PG := bench/results/instance-pg-1000
bench-peer: install-test
	@test -x $(PEER_VENV)/bin/gunicorn || { python3 -m venv $(PEER_VENV) && $(PEER_VENV)/bin/pip install -q -e . flask-admin==2.2.1; }
	@test -f $(KEPT_SQLITE)/owner-password || { echo "no kept SQLite database: run bench/run.py --keep first"; exit 1; }
	$(PY) bench/compare_peer.py --database-url "sqlite:///$(CURDIR)/$(KEPT_SQLITE)/bench.sqlite3" \
		--password-file $(KEPT_SQLITE)/owner-password
	@if pg_isready -q -h 127.0.0.1 -p 5432 && test -f $(KEPT_PG)/owner-password \
		&& psql -h 127.0.0.1 -U postgres -lqtA | cut -d'|' -f1 | grep -qx bench_1000; then \
		$(PY) bench/compare_peer.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_1000 \
			--password-file $(KEPT_PG)/owner-password; \
	else echo "== PostgreSQL: no kept bench_1000 database (or no server): its comparison skipped"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
