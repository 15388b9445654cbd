"""load-data details beyond the main data-command tests."""

import json

from webapp.extensions import db
from webapp.models import DocIntegration


def test_doc_integration_without_popularity_is_stored_as_null(runner, tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"doc_integrations": [{
        "name": "No Popularity", "author": "A", "description": "D", "url": "https://x.example",
        "popularity": None, "is_draft": True}]}))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    doc = db.session.scalars(db.select(DocIntegration)).one()
    assert doc.popularity is None
