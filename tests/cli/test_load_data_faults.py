"""load-data reports every fault of a file in one run, each at its JSON path (issue 21,
finding 3): text no database can store (NUL, lone surrogates) no longer hides the rest."""

import json

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import Organization, Project


def load(runner, tmp_path, text: str):
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["load-data", str(path)])


def faults(result) -> list[str]:
    assert result.exit_code == 1, result.output
    *lines, last = result.stderr.splitlines()
    assert last.endswith(f"{len(lines)} error{'s' if len(lines) != 1 else ''}; nothing was loaded.")
    assert result.stdout == ""
    return lines


def test_a_nul_does_not_hide_a_too_long_name(runner, tmp_path):
    """The file of the finding: a 100,000-character project name and a plugin option "\\u0000"."""
    data = {"organizations": [{
        "slug": "acme", "name": "Acme",
        "projects": [{"slug": "backend", "name": "x" * 100_000}],
        "plugin_options": [{"project": "backend", "plugin": "asana", "key": "workspace",
                            "value": "\u0000"}],
    }]}

    lines = faults(load(runner, tmp_path, json.dumps(data)))

    assert sorted(lines) == [
        "organizations[0].plugin_options[0].value: must not contain NUL (\\u0000) characters",
        "organizations[0].projects[0].name: must be at most 200 characters",
    ]
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


def test_unstorable_text_and_other_faults_all_reported_in_one_run(runner, tmp_path, app):
    """NUL in keys and values, a lone surrogate, lookups by such text, an unknown section,
    bad fields: every fault once, each on one printable line, nothing written."""
    org = factories.make_org(slug="initech", name="Initech")
    db.session.commit()
    # Written by hand: json.dumps cannot write a lone surrogate's escape as the file has it.
    text = r'''{
      "users": [
        {"email": "nul\u0000@example.com", "password": "long enough pw"},
        {"email": "bad-email", "is_staff": "yes", "na\nme": "x"}
      ],
      "integrations": [
        {"provider": "slack", "external_id": "T\u0000", "name": "Slack \ud800"}
      ],
      "organizations": [{
        "slug": "initech",
        "name": "Initech \ud83d",
        "members": [{"email": "ghost\u0000@example.com", "role": "owner"}],
        "projects": [{"slug": "web", "name": "Web", "plat\u0000form": "python"},
                     {"slug": "Bad Slug", "name": "y"}],
        "integrations": [{"provider": "slack", "external_id": "nowhere\u0000"}]
      }],
      "extra": []
    }'''

    lines = faults(load(runner, tmp_path, text))

    expected = {
        # The unknown section and text no database can store, wherever it is.
        "extra: unknown section (allowed: users, sentry_apps, integrations, doc_integrations, "
        "organizations)",
        "users[0].email: must not contain NUL (\\u0000) characters",
        "integrations[0].external_id: must not contain NUL (\\u0000) characters",
        "integrations[0].name: must not contain lone surrogates (\\ud800–\\udfff): not valid Unicode",
        "organizations[0].name: must not contain lone surrogates (\\ud800–\\udfff): not valid Unicode",
        "organizations[0].members[0].email: must not contain NUL (\\u0000) characters",
        "organizations[0].projects[0]: keys must not contain NUL (\\u0000) characters",
        "organizations[0].integrations[0].external_id: must not contain NUL (\\u0000) characters",
        # The ordinary checks ran too, on the same file.
        "users[1].email: must be a valid email address",
        "users[1].is_staff: must be true or false",
        "users[1].na\\nme: unknown field (allowed: email, name, password, password_hash, "
        "is_staff, is_superuser, is_active, auth_source)",
        "organizations[0].members[0].email: no user with this email in the file or the database",
        "organizations[0].projects[0].plat\\u0000form: unknown field (allowed: slug, name, "
        "platform, status)",
        "organizations[0].projects[1].slug: must be 1–100 characters: a-z, 0-9, '-' and '_'",
        "organizations[0].integrations[0]: unknown integration slack/nowhere\\u0000: not in the "
        "file's integrations nor in the database",
    }
    assert sorted(lines) == sorted(expected)
    assert all(line.isprintable() for line in lines)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name == "Initech"
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_a_file_of_unstorable_text_alone_still_says_so(runner, tmp_path):
    lines = faults(load(runner, tmp_path, r'{"users": [{"email": "a\udfff@example.com"}]}'))
    assert lines == ["users[0].email: must not contain lone surrogates (\\ud800–\\udfff): "
                     "not valid Unicode"]
