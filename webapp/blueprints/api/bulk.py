"""POST /api/0/organizations/<org>/integrations/bulk/ (issue 23; SPEC §8): one action over
many installations, on services.integrations.bulk — the rules, counts and audit entries of
the HTML bulk pages.

Body: {"action": "disable" | "enable" | "uninstall", and either "ids": [...] or "filters":
{the list's filters}}; "dryRun": true answers the plan and changes nothing; "versions" and
"plannedAt" (from a dry run) make the apply skip what changed since. 200 with {"action",
"dryRun", "selected", "changed", "skipped": [{"reason", "count"}], "plannedAt", "versions",
"auditEntryId"}; bad input 400 with field errors; members 403; another org's id 404.
"""

from flask import jsonify

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import client_ip, json_body, org_access, refuse_nulls
from webapp.blueprints.api.serializers import serialize_bulk
from webapp.blueprints.integrations.forms import API_ALIASES, parse_filter_pairs
from webapp.extensions import db
from webapp.services.errors import ValidationFailed
from webapp.services.ids import parse_version_pair
from webapp.services.integrations import IntegrationFilters
from webapp.services.integrations.bulk import (
    Expected,
    Selection,
    apply_bulk,
    clean_ids,
    get_action,
    json_integer,
    parse_planned_at,
    plan_bulk,
)
from webapp.services.permissions import Capability

BODY_FIELDS = ("action", "ids", "filters", "dryRun", "versions", "plannedAt")
FILTER_NAMES = ("q", "providerKey", "provider_key", "features", "integrationType",
                "integration_type", "status", "policy")


def _filters(raw: object) -> IntegrationFilters:
    """The list's filters from the body's object (the list's names and the API's spellings);
    ValidationFailed under "filters.<name>"."""
    if not isinstance(raw, dict):
        raise ValidationFailed({"filters": ["Must be an object of the list's filters."]})
    errors: dict[str, list[str]] = {}
    pairs: list[tuple[str, str]] = []
    for key, value in raw.items():
        if key not in FILTER_NAMES:
            errors[f"filters.{key}"] = [f"Unknown filter. Use: {', '.join(FILTER_NAMES)}."]
        elif isinstance(value, str):
            pairs.append((key, value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            pairs += [(key, v) for v in value]
        else:
            errors[f"filters.{key}"] = ["Must be text or a list of text."]
    if errors:
        raise ValidationFailed(errors)
    try:
        return parse_filter_pairs(pairs)
    except ValidationFailed as exc:
        given = {API_ALIASES.get(key, key): key for key in raw}
        raise ValidationFailed({f"filters.{given.get(name, name)}": messages
                                for name, messages in exc.field_errors.items()}) from None


def _selection(body: dict) -> Selection:
    if "ids" in body and "filters" in body:
        raise ValidationFailed({"ids": ["Give either ids or filters, not both."]})
    if "filters" in body:
        return Selection(filters=_filters(body["filters"]))
    if "ids" not in body:
        raise ValidationFailed({"ids": ["Give ids, or filters to act on every installation "
                                        "matching them."]})
    return Selection(ids=clean_ids(body["ids"]))


def _expected(body: dict) -> Expected:
    """What a dry run saw (`versions`, `plannedAt`), for the stale check of the apply."""
    errors: dict[str, list[str]] = {}
    versions: dict[int, int] = {}
    raw_versions = body.get("versions", {})
    if not isinstance(raw_versions, dict):
        errors["versions"] = ["Must be an object of id: version."]
    else:
        for key, value in raw_versions.items():
            value = json_integer(value)  # a JSON number: "3" is not a version here
            pair = parse_version_pair(key, value) if isinstance(value, int) else None
            if pair is None:
                errors["versions"] = [f"Not an id and version: {str(key)[:40]}: {str(value)[:40]}"]
                break
            versions[pair[0]] = pair[1]
    planned_at = parse_planned_at(body["plannedAt"]) if "plannedAt" in body else None
    if "plannedAt" in body and planned_at is None:
        errors["plannedAt"] = ["Must be an ISO 8601 date-time with a time zone (the plannedAt "
                               "of a dry run)."]
    if errors:
        raise ValidationFailed(errors)
    return Expected(versions, planned_at)


@bp.post("/organizations/<org>/integrations/bulk/")
def org_integrations_bulk(org: str):
    """Admins and up: disable, enable or uninstall the chosen installations, or every one
    matching the filters, in one transaction (`dryRun`: only say what would happen)."""
    access = org_access(org)
    access.require(Capability.MANAGE_INTEGRATIONS)
    body = json_body()
    refuse_nulls(body, *BODY_FIELDS)
    unknown = [key for key in body if key not in BODY_FIELDS]
    if unknown:
        raise ValidationFailed({key: [f"Unknown field. Use: {', '.join(BODY_FIELDS)}."]
                                for key in unknown})
    if "action" not in body:
        raise ValidationFailed({"action": ["This field is required."]})
    action = get_action(body["action"]).name
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise ValidationFailed({"dryRun": ["Must be true or false."]})
    selection = _selection(body)
    expected = _expected(body)
    if dry_run:
        plan = plan_bulk(access, action, selection)
        return jsonify(serialize_bulk(action, dry_run=True, selected=plan.total,
                                      changed=plan.changes, skipped=plan.skipped,
                                      planned_at=plan.planned_at, versions=plan.versions))
    result = apply_bulk(access, action, selection, expected, client_ip())
    db.session.commit()
    return jsonify(serialize_bulk(action, dry_run=False,
                                  selected=result.changed + result.skipped_total,
                                  changed=result.changed, skipped=result.skipped,
                                  planned_at=expected.planned_at,
                                  versions=expected.versions,
                                  audit_entry_id=result.audit_entry_id))
