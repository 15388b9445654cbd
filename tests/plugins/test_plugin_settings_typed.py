"""Plugin settings are typed by their schema (issue 22): URL fields take http(s) URLs only
(the callback list one per line), whole-number fields take whole numbers in range, choices
and booleans only what the schema allows. A refusal is 400 with the message beside the
field and writes nothing; the service refuses the same values for any caller."""

import pytest
from bs4 import BeautifulSoup

from tests import factories
from webapp.catalog.plugins import PLUGINS, get_plugin
from webapp.extensions import db
from webapp.models import AuditLogEntry, ProjectPluginOption
from webapp.services.errors import ValidationFailed
from webapp.services.plugins.settings import update_plugin_settings

BASE = "/settings/acme/plugins/"
URL_ERROR = "Enter a full URL starting with http:// or https://."


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def options(project, plugin):
    rows = db.session.scalars(db.select(ProjectPluginOption).where(
        ProjectPluginOption.project_id == project.id, ProjectPluginOption.plugin == plugin))
    return {row.key: row.value for row in rows}


def audit_count():
    return db.session.scalar(db.select(db.func.count()).select_from(AuditLogEntry))


@pytest.fixture
def alpha(org):
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    return project


@pytest.mark.parametrize("urls, line", [
    ("javascript:alert(1)", 1),
    ("https://ok.example/hook\njavascript:alert(1)", 2),
    ("https://ok.example/hook\n\nftp://files.example/x", 2),  # blank lines do not count
    ("hooks.example/no-scheme", 1),
    ("https:///no-host", 1),
    ("https://bad host.example/", 1),
])
def test_callback_urls_refuse_anything_but_http_urls_one_per_line(client, login_as, alpha, urls, line):
    login_as("admin")
    response = client.post(BASE + "webhooks/projects/alpha/",
                           data={"project": "alpha", "enabled": "y", "urls": urls})
    assert response.status_code == 400
    page = soup(response)
    assert page.find(id="urls-error").get_text(strip=True) == f"Line {line}: {URL_ERROR}"
    assert page.find(id="urls")["aria-invalid"] == "true"
    assert page.find("textarea", attrs={"name": "urls"}).get_text().lstrip("\r\n") == urls  # kept
    assert options(alpha, "webhooks") == {}
    assert audit_count() == 0


def test_callback_urls_are_stored_one_per_line_without_blank_lines(client, login_as, alpha):
    login_as("admin")
    response = client.post(BASE + "webhooks/projects/alpha/", data={
        "project": "alpha", "urls": "  https://a.example/hook \n\n\nHTTP://b.example:8080/x?y=1\n"})
    assert response.status_code == 302
    assert options(alpha, "webhooks") == {"urls": "https://a.example/hook\nHTTP://b.example:8080/x?y=1"}


@pytest.mark.parametrize("plugin, field, value", [
    ("slack", "icon_url", "javascript:alert(1)"),
    ("gitlab", "gitlab_url", "gitlab.example.com"),
    ("amazon-sqs", "queue_url", "data:text/html,<b>x</b>"),
    ("splunk", "instance", "//splunk.example:8088"),
])
def test_url_fields_take_one_http_url(client, login_as, alpha, plugin, field, value):
    login_as("admin")
    required = get_plugin(plugin).required_field
    data = {"project": alpha.slug, field: value}
    if required != field:
        data[required] = "https://required.example/" if field.endswith("url") else "x"
    response = client.post(f"{BASE}{plugin}/projects/alpha/", data=data)
    assert response.status_code == 400
    assert soup(response).find(id=f"{field}-error").get_text(strip=True) == URL_ERROR
    assert options(alpha, plugin) == {}


def test_url_fields_render_as_url_inputs(client, login_as, alpha):
    login_as("admin")
    page = soup(client.get(BASE + "slack/projects/alpha/"))
    assert page.find("input", attrs={"name": "icon_url"})["type"] == "url"
    page = soup(client.get(BASE + "pushover/projects/alpha/"))
    assert page.find("input", attrs={"name": "retry"})["inputmode"] == "numeric"


@pytest.mark.parametrize("retry, message", [
    ("soon", "Retry (seconds) must be a whole number."),
    ("1.5", "Retry (seconds) must be a whole number."),
    ("10", "Retry (seconds) must be between 30 and 10,800."),
    ("99999", "Retry (seconds) must be between 30 and 10,800."),
])
def test_number_fields_take_whole_numbers_in_range(client, login_as, alpha, retry, message):
    login_as("admin")
    response = client.post(BASE + "pushover/projects/alpha/",
                           data={"project": "alpha", "apikey": "k", "retry": retry})
    assert response.status_code == 400
    assert soup(response).find(id="retry-error").get_text(strip=True) == message
    assert options(alpha, "pushover") == {}


def test_a_number_in_range_is_stored_as_its_digits(client, login_as, alpha):
    login_as("admin")
    response = client.post(BASE + "pushover/projects/alpha/",
                           data={"project": "alpha", "apikey": "k", "retry": " +045 ", "expire": ""})
    assert response.status_code == 302
    assert options(alpha, "pushover")["retry"] == "45"
    assert "expire" not in options(alpha, "pushover")  # empty stays unset


def test_choice_outside_the_schema_is_refused_beside_the_field(client, login_as, alpha):
    login_as("admin")
    response = client.post(BASE + "pushover/projects/alpha/",
                           data={"project": "alpha", "apikey": "k", "priority": "7"})
    assert response.status_code == 400
    assert soup(response).find(id="priority-error").get_text(strip=True) == \
        "“7” is not one of the choices."
    assert options(alpha, "pushover") == {}


@pytest.mark.parametrize("values, field, message", [
    ({"urls": "javascript:alert(1)"}, "urls", f"Line 1: {URL_ERROR}"),
    ({"urls": ["https://a.example"]}, "urls", "Must be text."),
])
def test_the_service_refuses_the_same_values_for_any_caller(alpha, org, values, field, message):
    with pytest.raises(ValidationFailed) as error:
        update_plugin_settings(None, org, get_plugin("webhooks"), "alpha", values)
    assert error.value.field_errors[field] == [message]
    db.session.rollback()
    assert options(alpha, "webhooks") == {}


@pytest.mark.parametrize("plugin, values, field, message", [
    ("slack", {"webhook": "https://hooks.example/x", "include_tags": "yes"}, "include_tags",
     "Must be true or false."),
    ("pushover", {"apikey": "k", "retry": 45}, "retry", "Must be text."),
    ("amazon-sqs", {"queue_url": "https://q.example/1", "region": "mars"}, "region",
     "“mars” is not one of the choices."),
])
def test_the_service_checks_booleans_numbers_and_choices(alpha, org, plugin, values, field, message):
    with pytest.raises(ValidationFailed) as error:
        update_plugin_settings(None, org, get_plugin(plugin), "alpha", values)
    assert error.value.field_errors == {field: [message]}


def test_every_url_setting_in_the_catalog_is_typed():
    """A field whose label or name says URL (or a plugin's host) takes http(s) URLs only."""
    untyped = [
        (plugin.slug, field.name) for plugin in PLUGINS.values() for field in plugin.config_schema
        if ("url" in field.name.lower() or "URL" in field.label or field.name == "host")
        and field.format not in ("url", "urls")
    ]
    assert untyped == []
    assert get_plugin("webhooks").config_schema[0].format == "urls"
