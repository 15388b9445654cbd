"""The app as served in benchmarks, plus the hello-world reference routes (bench only).

`gunicorn bench.reference:app` serves the real app and two references that do no database
work: /bench/hello-layout/ (the base layout with a static 25-row table) and
/bench/hello-json/ (100 static items). Ratios against them are what bench/README.md reports.

The references are requested WITHOUT a session: no user is loaded and the layout renders
for an anonymous visitor, so they run no SQL at all — the strictest comparison (a logged-in
page also loads the user and the org switcher). The layout template is compiled once, as
Flask does for template files (`render_template_string` would compile it per request).
"""

from flask import Blueprint, current_app, jsonify, render_template

from webapp import create_app

bp = Blueprint("bench", __name__, url_prefix="/bench")

ROWS = [
    {"name": f"Integration {n}", "provider": "slack", "external_id": f"T{n:05d}",
     "status": "active", "date_added": "2026-11-01 10:00 UTC"}
    for n in range(25)
]
ITEMS = [{"id": str(n), "name": f"Integration {n}", "status": "active",
          "provider": {"key": "slack", "name": "Slack"}} for n in range(100)]

LAYOUT_PAGE = """{% extends 'base.html' %}
{% from 'macros/layout.html' import status_badge %}
{% block title %}Hello{% endblock %}
{% block content %}
<h1 class="h3">Hello</h1>
<table class="table table-sm"><thead><tr><th>Name</th><th>Provider</th><th>External id</th>
<th>Status</th><th>Added</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.provider }}</td>
<td>{{ row.external_id }}</td><td>{{ status_badge(row.status) }}</td><td>{{ row.date_added }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}"""

_compiled = {}


@bp.get("/hello-layout/")
def hello_layout():
    app = current_app._get_current_object()
    template = _compiled.get(app)
    if template is None:
        template = _compiled[app] = app.jinja_env.from_string(LAYOUT_PAGE)
    return render_template(template, rows=ROWS)


@bp.get("/hello-json/")
def hello_json():
    return jsonify(ITEMS)


app = create_app()
app.register_blueprint(bp)
