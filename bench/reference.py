"""The app as served in benchmarks, plus the hello-world reference routes (bench only).

`gunicorn bench.reference:app` serves the real app and reference routes that do no
database work and read no session:

- /bench/hello-layout/ — the base layout exactly as an org page renders it for a logged-in
  owner (top bar with org switcher and user menu, side nav, breadcrumbs) around a static
  25-row table; the user, the org list and the nav are static data. This is "a hello-world
  route that renders the same base layout" of issue 7: the pages are compared with it.
- /bench/hello-layout/?chrome=session — the same route with the chrome of the request's own
  session: without a session cookie, the anonymous layout (no org switcher, user menu or
  nav: a smaller page, the second, stricter reference); with one, what a logged-in user's
  layout costs with its user and org-list queries (for information).
- /bench/hello-json/ — 100 static items of the API's own shape (org-integrations list items
  with configOrganization, all of the provider with the smallest item, bitbucket: 1.2 KB
  an item, 122 KB in all; the API's first page of the demo data is 138 KB): "a hello-world
  JSON route returning 100 static items" that costs what encoding such a list costs.
- /bench/hello-json/?small=1 — 100 tiny items ({id, name, status, provider}), as before.

The layout template is compiled once, as Flask does for template files
(`render_template_string` would compile it per request).
"""

from datetime import UTC, datetime
from types import SimpleNamespace

from flask import Blueprint, current_app, jsonify, render_template, request

from webapp import create_app
from webapp.blueprints.api.serializers import serialize_installation
from webapp.services.integrations import InstallationRow
from webapp.web import NAV_ITEMS

bp = Blueprint("bench", __name__, url_prefix="/bench")

ROWS = [
    {"name": f"Integration {n}", "provider": "slack", "external_id": f"T{n:05d}",
     "status": "active", "date_added": "2026-11-01 10:00 UTC"}
    for n in range(25)
]
SMALL_ITEMS = [{"id": str(n), "name": f"Integration {n}", "status": "active",
                "provider": {"key": "slack", "name": "Slack"}} for n in range(100)]
API_ITEMS = [
    serialize_installation(InstallationRow(
        id=n, integration_id=1000 + n, organization_id=1, name=f"Integration {n}",
        external_id=f"T{n:05d}", provider="bitbucket", status=0, integration_status=0,
        date_added=datetime(2026, 11, 1, tzinfo=UTC), grace_period_end=None,
        metadata={"domain_name": f"bitbucket.example/team-{n}"}, config={}))
    for n in range(100)
]

# The logged-in chrome, static: what base.html reads for an owner on an org page.
USER = SimpleNamespace(is_authenticated=True, is_privileged=False, id=1,
                       display_name="Olivia Owner", email="owner@demo.example")
ORG = SimpleNamespace(id=1, slug="demo", name="Demo Company")
ORGS = [(ORG, "owner"), (SimpleNamespace(id=2, slug="globex", name="Globex Corporation"), "member")]

LAYOUT_PAGE = """{% extends 'base.html' %}
{% from 'macros/layout.html' import status_badge, breadcrumbs %}
{% block title %}Hello{% endblock %}
{% block breadcrumbs %}{% if current_org %}{{ breadcrumbs([(current_org.name, '/settings/demo/'), ('Hello', None)]) }}{% endif %}{% endblock %}
{% block content %}
<h1 class="h3">Hello</h1>
<table class="table table-sm"><thead><tr><th>Name</th><th>Provider</th><th>External id</th>
<th>Status</th><th>Added</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.provider }}</td>
<td>{{ row.external_id }}</td><td>{{ status_badge(row.status) }}</td><td>{{ row.date_added }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}"""

_compiled = {}
_chrome = {}


def _static_chrome(app) -> dict:
    """The layout's context for the owner of `demo`, built once (nav links via url_for)."""
    if app not in _chrome:
        nav = [{"label": label, "href": f"/settings/demo/{endpoint.split('.')[0]}/",
                "active": endpoint == "integrations.index"}
               for label, endpoint, needs_org, staff_only, _ in NAV_ITEMS
               if needs_org and not staff_only]
        _chrome[app] = {"current_user": USER, "current_org": ORG, "layout_orgs": lambda: ORGS,
                        "nav_org": lambda: ORG,
                        "nav_items": nav, "csrf_token": lambda: "static-token"}
    return _chrome[app]


@bp.get("/hello-layout/")
def hello_layout():
    app = current_app._get_current_object()
    template = _compiled.get(app)
    if template is None:
        template = _compiled[app] = app.jinja_env.from_string(LAYOUT_PAGE)
    if request.args.get("chrome") == "session":
        return render_template(template, rows=ROWS)
    return render_template(template, rows=ROWS, **_static_chrome(app))


@bp.get("/hello-json/")
def hello_json():
    return jsonify(SMALL_ITEMS if request.args.get("small") else API_ITEMS)


app = create_app()
app.register_blueprint(bp)
