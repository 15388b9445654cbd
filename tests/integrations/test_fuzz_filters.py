"""Any query string gives a page or a 400 with messages — never a 500 (Hypothesis)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.integrations.helpers import parse_filters
from webapp.extensions import db
from webapp.services import integrations as svc
from webapp.services.errors import ValidationFailed

NAMES = ["q", "provider_key", "providerKey", "features", "integration_type", "status",
         "include_config", "sort", "page", "per_page", "format"]
VALUES = st.one_of(
    st.sampled_from(["active", "issue_basic", "Issue Basic", "slack", "messaging", "-name", "0",
                     "1", "100", "101", "-1", "csv", "", "%", "_", "deletion_in_progress", "a\x00b"]),
    st.text(max_size=30),
)
ARGS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6)


@given(ARGS)
def test_parse_never_fails_except_with_field_errors(pairs):
    raw: dict[str, list[str]] = {}
    for name, value in pairs:
        raw.setdefault(name, []).append(value)
    try:
        filters = parse_filters(raw)
    except ValidationFailed as exc:
        assert exc.field_errors and all(exc.field_errors.values())
    else:
        assert filters.sort in svc.SORTS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=ARGS)
def test_list_page_answers_200_or_400(client, login_as, org, pairs):
    if not getattr(org, "_fuzz_seeded", False):
        factories.install(org, factories.make_integration(provider="github", name="Fuzz GitHub"))
        db.session.commit()
        login_as("member")
        org._fuzz_seeded = True
    response = client.get("/settings/acme/integrations/", query_string=[(n, v) for n, v in pairs])
    assert response.status_code in (200, 400), response.status_code
