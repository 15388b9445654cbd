"""`load-data`: apply a validated file in the caller's transaction (the caller commits once).

Records are created or updated by natural key, never deleted. Only real changes count as
"updated", and only changed rows are touched, so a version column moves exactly when a
record changed. Each created or changed doc integration and installation gets an audit
entry (source "load-data").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import null, select
from sqlalchemy.orm.attributes import flag_modified

from webapp.extensions import db
from webapp.models import (
    AuthSource,
    DocIntegration,
    DocIntegrationLogo,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    ProviderPolicy,
    SentryApp,
    User,
    utcnow,
)
from webapp.services import doc_integrations as docs
from webapp.services.audit import diff_values, record_audit
from webapp.services.datafile.plan import Entry, OrgPlan, Plan
from webapp.services.datafile.schema import TABLES, iso_datetime
from webapp.services.datafile.validation import validate_data
from webapp.services.policy import AUDIT_EVENT as POLICY_EVENT
from webapp.services.policy import TARGET_TYPE as POLICY_TARGET
from webapp.services.policy import Policy

AUDIT_SOURCE = "load-data"


@dataclass
class LoadSummary:
    """What a load created and updated, per table."""

    counts: dict[str, list[int]] = field(
        default_factory=lambda: {table: [0, 0] for table in TABLES}
    )

    def created(self, table: str) -> None:
        self.counts[table][0] += 1

    def updated(self, table: str) -> None:
        self.counts[table][1] += 1

    def lines(self) -> list[str]:
        return [f"{table}: created {c}, updated {u}" for table, (c, u) in self.counts.items()]


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _same(a, b) -> bool:
    """Equal as stored data: strict about types (true is not 1), blind to key order."""
    if isinstance(a, datetime) or isinstance(b, datetime):
        return a == b
    return _canonical(a) == _canonical(b)


def _assign(obj, attr: str, value) -> bool:
    """Set obj.attr only when the value really differs; True when it did."""
    if _same(getattr(obj, attr), value):
        return False
    setattr(obj, attr, value)
    # The ORM compares JSON values with ==, for which 1 == True: force the UPDATE.
    flag_modified(obj, attr)
    return True


def _update_member(member: OrganizationMember, values: dict) -> bool:
    """A membership's role and role_source from the file; True when either changed. A role
    the file changes without naming its source is set by hand: its source becomes null, as
    with `add-member` (the account page then credits an administrator, not the directory)."""
    changed = "role" in values and _assign(member, "role", values["role"])
    if "role_source" in values:
        changed |= _assign(member, "role_source", values["role_source"])
    elif changed:
        _assign(member, "role_source", None)
    return changed


class _Writer:
    """Applies a validated plan in the current transaction; counts real changes."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.summary = LoadSummary()
        self.audits: list[Callable[[], None]] = []

    def run(self) -> LoadSummary:
        self._users()
        self._sentry_apps()
        self._integrations()
        self._doc_integrations()
        for org_plan in self.plan.organizations:
            self._organization(org_plan)
        db.session.flush()
        for write_audit in self.audits:
            write_audit()
        db.session.flush()
        return self.summary

    def _users(self) -> None:
        for entry in self.plan.users:
            values, user = entry.values, entry.existing
            if user is None:
                user = User(
                    email=values["email"],
                    name=values.get("name", values["email"].split("@")[0]),
                    is_active=values.get("is_active", True),
                    is_staff=values.get("is_staff", False),
                    is_superuser=values.get("is_superuser", False),
                    auth_source=values.get("auth_source", AuthSource.LOCAL.value),
                )
                if "password" in values:
                    user.set_password(values["password"])
                elif "password_hash" in values:
                    user.password_hash = values["password_hash"]
                db.session.add(user)
                self.summary.created("user")
            else:
                changed = False
                for name in ("name", "is_active", "is_staff", "is_superuser", "auth_source",
                             "password_hash"):
                    if name in values:
                        changed |= _assign(user, name, values[name])
                if "password" in values and not user.check_password(values["password"]):
                    user.set_password(values["password"])
                    changed = True
                if changed:
                    self.summary.updated("user")
            self.plan.users_by_email[entry.extra["key"]] = user

    def _replace_features(self, target_type: int, target_id: int, current: list[int],
                          wanted: list[int]) -> bool:
        if sorted(current) == sorted(wanted):
            return False
        gone = set(current) - set(wanted)
        if gone:
            for row in db.session.scalars(
                select(IntegrationFeature).where(
                    IntegrationFeature.target_type == target_type,
                    IntegrationFeature.target_id == target_id,
                    IntegrationFeature.feature.in_(sorted(gone)),
                )
            ):
                db.session.delete(row)
        for feature_id in sorted(set(wanted) - set(current)):
            db.session.add(IntegrationFeature(target_type=target_type, target_id=target_id,
                                              feature=feature_id))
        return True

    def _sentry_apps(self) -> None:
        for entry in self.plan.sentry_apps:
            values, app = entry.values, entry.existing
            changed = False
            if app is None:
                app = SentryApp(slug=values["slug"], name=values["name"],
                                author=values.get("author", ""),
                                overview=values.get("overview", ""),
                                status=values.get("status", "unpublished"))
                db.session.add(app)
                db.session.flush()
                self.summary.created("sentry_app")
            else:
                for name in ("name", "author", "overview", "status"):
                    if name in values:
                        changed |= _assign(app, name, values[name])
            if "features" in values:
                changed |= self._replace_features(
                    IntegrationFeatureTarget.SENTRY_APP, app.id, entry.extra["features"],
                    values["features"],
                )
            if changed and entry.existing is not None:
                self.summary.updated("sentry_app")

    def _integrations(self) -> None:
        for entry in self.plan.integrations:
            values, integration = entry.values, entry.existing
            if integration is None:
                integration = Integration(
                    provider=values["provider"], external_id=values["external_id"],
                    name=values["name"], metadata_=values.get("metadata", {}),
                    status=values.get("status", int(ObjectStatus.ACTIVE)),
                )
                db.session.add(integration)
                self.summary.created("integration")
            else:
                changed = False
                for name, attr in (("name", "name"), ("metadata", "metadata_"), ("status", "status")):
                    if name in values:
                        changed |= _assign(integration, attr, values[name])
                if changed:
                    self.summary.updated("integration")
            self.plan.integrations_by_key[entry.extra["key"]] = integration

    def _doc_integrations(self) -> None:
        for entry in self.plan.doc_integrations:
            values, doc = entry.values, entry.existing
            fields = ("name", "author", "description", "url", "popularity", "is_draft", "resources")
            logo = entry.extra["logo"]
            if doc is None:
                doc = DocIntegration(slug=values["slug"], **{name: values[name] for name in fields})
                if values["popularity"] is None:
                    doc.popularity = null()  # an explicit NULL, not the column default of 1
                db.session.add(doc)
                db.session.flush()
                self._replace_features(IntegrationFeatureTarget.DOC_INTEGRATION, doc.id, [],
                                       values["features"])
                if isinstance(logo, tuple):
                    self._set_logo(doc, logo)
                self.summary.created("doc_integration")
                self._audit_doc("DOC_INTEGRATION_ADD", doc, {}, values,
                                old_logo=None if isinstance(logo, tuple) else False)
                continue
            before = docs.doc_integration_values(doc, entry.extra["features"])
            changed = False
            for name in fields:
                changed |= _assign(doc, name, values[name])
            changed |= self._replace_features(IntegrationFeatureTarget.DOC_INTEGRATION, doc.id,
                                              entry.extra["features"], values["features"])
            old_logo = doc.logo.uuid if doc.logo is not None else None
            logo_changed = False
            if logo == "remove" and doc.logo is not None:
                doc.logo = None  # delete-orphan removes the row
                logo_changed = True
            elif isinstance(logo, tuple) and (doc.logo is None or doc.logo.data != logo[1]):
                self._set_logo(doc, logo)
                logo_changed = True
            if changed or logo_changed:
                doc.date_updated = utcnow()  # an UPDATE even when only features/logo changed
                self.summary.updated("doc_integration")
                self._audit_doc("DOC_INTEGRATION_EDIT", doc, before, values,
                                old_logo=old_logo if logo_changed else False)

    def _set_logo(self, doc: DocIntegration, logo: tuple) -> None:
        _, raw, checked = logo
        if doc.logo is not None:
            db.session.delete(doc.logo)
            db.session.flush()
        doc.logo = DocIntegrationLogo(content_type=checked.content_type, data=raw,
                                      width=checked.width, height=checked.height)

    def _audit_doc(self, event: str, doc: DocIntegration, before: dict, values: dict,
                   old_logo: str | None | bool = False) -> None:
        """Audit a created/changed doc integration; `old_logo` False = the logo did not change."""
        after = {name: values[name] for name in docs.VALUE_FIELDS}
        changes = diff_values(before, after)

        def write() -> None:
            if old_logo is not False:
                new_logo = doc.logo.uuid if doc.logo is not None else None
                changes["logo"] = {"before": old_logo, "after": new_logo}
            record_audit(event=event, actor=None, target_type=docs.TARGET_TYPE, target_id=doc.id,
                         target_object=doc.name,
                         data={"changes": changes, "slug": doc.slug, "source": AUDIT_SOURCE})

        self.audits.append(write)

    def _organization(self, plan: OrgPlan) -> None:
        values, org = plan.entry.values, plan.entry.existing
        if org is None:
            org = Organization(slug=values["slug"], name=values["name"])
            db.session.add(org)
            self.summary.created("organization")
        elif "name" in values and _assign(org, "name", values["name"]):
            self.summary.updated("organization")

        for member in plan.members:
            user = self.plan.users_by_email[member.extra["key"]]
            if member.existing is None:
                db.session.add(OrganizationMember(organization=org, user=user,
                                                  role=member.values["role"],
                                                  role_source=member.values.get("role_source")))
                self.summary.created("organization_member")
            elif _update_member(member.existing, member.values):
                self.summary.updated("organization_member")

        projects = dict(plan.existing_projects)
        for project_entry in plan.projects:
            values, project = project_entry.values, project_entry.existing
            if project is None:
                project = Project(organization=org, slug=values["slug"], name=values["name"],
                                  platform=values.get("platform"),
                                  status=values.get("status", int(ObjectStatus.ACTIVE)))
                db.session.add(project)
                self.summary.created("project")
            else:
                changed = False
                for name in ("name", "platform", "status"):
                    if name in values:
                        changed |= _assign(project, name, values[name])
                if changed:
                    self.summary.updated("project")
            projects[values["slug"]] = project

        for link in plan.integrations:
            self._org_integration(org, link)

        for option in plan.plugin_options:
            values = option.values
            if option.existing is None:
                db.session.add(ProjectPluginOption(project=projects[values["project"]],
                                                   plugin=values["plugin"], key=values["key"],
                                                   value=values["value"]))
                self.summary.created("project_plugin_option")
            elif _assign(option.existing, "value", values["value"]):
                self.summary.updated("project_plugin_option")

        if plan.policy is not None:
            self._provider_policy(org, plan.policy)

    def _provider_policy(self, org: Organization, entry: Entry[ProviderPolicy]) -> None:
        """Create or update the org's provider policy; audited as the page audits it."""
        values, row = entry.values, entry.existing
        before = (Policy().as_values() if row is None else
                  {"mode": row.mode, "reason": row.reason, "providers": sorted(row.providers or ())})
        changes = diff_values(before, values)
        if row is None:
            db.session.flush()  # a new organization's id
            row = ProviderPolicy(organization_id=org.id, mode=values["mode"],
                                 reason=values["reason"], providers=values["providers"])
            db.session.add(row)
            self.summary.created("provider_policy")
        elif changes:
            for name in ("mode", "reason", "providers"):
                _assign(row, name, values[name])
            self.summary.updated("provider_policy")
        if not changes:
            return
        policy_row = row

        def write() -> None:
            record_audit(event=POLICY_EVENT, actor=None, organization=org,
                         target_type=POLICY_TARGET, target_id=policy_row.id,
                         target_object="Integration policy",
                         data={"changes": changes, "source": AUDIT_SOURCE})

        self.audits.append(write)

    def _org_integration(self, org: Organization, entry: Entry[OrganizationIntegration]) -> None:
        values, link = entry.values, entry.existing
        integration = self.plan.integrations_by_key[entry.extra["key"]]
        names = ("status", "config", "grace_period_end")
        if link is None:
            link = OrganizationIntegration(
                organization=org, integration=integration,
                status=values.get("status", int(ObjectStatus.ACTIVE)),
                config=values.get("config", {}), grace_period_end=values.get("grace_period_end"),
            )
            db.session.add(link)
            self.summary.created("organization_integration")
            before: dict = {}
        else:
            before = {name: getattr(link, name) for name in names}
            changed = False
            for name in names:
                if name in values:
                    changed |= _assign(link, name, values[name])
            if not changed:
                return
            self.summary.updated("organization_integration")
        after = {name: getattr(link, name) for name in names}
        event = "INTEGRATION_ADD" if not before else "INTEGRATION_EDIT"

        def show(state: dict) -> dict:
            shown = dict(state)
            if "status" in shown:
                shown["status"] = ObjectStatus(shown["status"]).label
            if "grace_period_end" in shown:
                shown["grace_period_end"] = iso_datetime(shown["grace_period_end"])
            return shown

        def write() -> None:
            record_audit(event=event, actor=None, organization=org,
                         target_type="organization_integration", target_id=link.id,
                         target_object=integration.name,
                         data={"changes": diff_values(show(before), show(after)),
                               "source": AUDIT_SOURCE})

        self.audits.append(write)


def load_data(data: object) -> LoadSummary:
    """Validate everything, then create/update by natural key in the current transaction.

    Raises DataFileInvalid before any write when the file has faults. The caller commits
    (or rolls back); nothing is deleted by a load.
    """
    plan = validate_data(data)
    return _Writer(plan).run()
