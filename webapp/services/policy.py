"""An organization's provider policy (issue 23): allow every provider (the default), allow
only some, or block some — over first-party providers, plugins and sentry apps — with a
reason that members are shown. Owners and managers change it; every change is audited
with its before/after diff in the same transaction.

Other services ask one question of a `Policy`: `refusal(kind, slug, name)`, the message to
show, or None when the provider is allowed. It is enforced where a provider is asked for or
switched on: install requests (asking; marking a request done), enabling an installation
(one or in bulk); it is shown in the directory and on the installed-integrations list (the
"blocked by policy" filter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from webapp import messages
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import VISIBLE_STATUSES, ProviderPolicy, SentryApp
from webapp.models.integration_counts import OrganizationIntegrationCount
from webapp.services.actors import OrgRef
from webapp.services.audit import diff_values, record_audit
from webapp.services.directory import FIRST_PARTY, PLUGIN, SENTRY_APP
from webapp.services.errors import Conflict, StaleEdit, ValidationFailed
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.text import clean_note

ALLOW_ALL = "allow_all"
ALLOW_ONLY = "allow_only"
BLOCK = "block"
MODES: dict[str, str] = {
    ALLOW_ALL: "Allow all providers",
    ALLOW_ONLY: "Allow only the providers chosen below",
    BLOCK: "Block the providers chosen below",
}
# The kinds a policy lists, each a field of the policy form (and a key of its errors).
KINDS: dict[str, str] = {FIRST_PARTY: "Integrations", PLUGIN: "Plugins", SENTRY_APP: "Sentry apps"}
REASON_MAX_LENGTH = 500
AUDIT_EVENT = "PROVIDER_POLICY_EDIT"
TARGET_TYPE = "provider_policy"


class ProviderBlocked(Conflict):
    """The org's policy refuses this provider; the message says so, with the reason."""


def policy_key(kind: str, slug: str) -> str:
    """How a policy lists a provider: "<kind>:<slug>" (e.g. "first_party:slack")."""
    return f"{kind}:{slug}"


@dataclass(frozen=True)
class Policy:
    """An org's policy as the rules read it. `version` 0 (and `id` None): the org has none
    stored yet."""

    mode: str = ALLOW_ALL
    reason: str = ""
    providers: frozenset[str] = frozenset()
    version: int = 0
    id: int | None = None

    @property
    def restricts(self) -> bool:
        return self.mode != ALLOW_ALL

    def blocks(self, kind: str, slug: str) -> bool:
        """True when the policy refuses this provider."""
        if self.mode == ALLOW_ALL:
            return False
        listed = policy_key(kind, slug) in self.providers
        return not listed if self.mode == ALLOW_ONLY else listed

    def refusal(self, kind: str, slug: str, name: str | None = None) -> str | None:
        """The message shown where the policy refuses this provider; None when allowed."""
        if not self.blocks(kind, slug):
            return None
        message = f"{name or slug} is blocked by this organization’s integration policy"
        return f"{message}: {self.reason}" if self.reason else f"{message}."

    def blocked_provider_keys(self) -> frozenset[str]:
        """The catalog's first-party provider keys the policy blocks (the installed list's
        "blocked by policy" filter)."""
        return frozenset(key for key in PROVIDERS if self.blocks(FIRST_PARTY, key))

    def as_values(self) -> dict[str, object]:
        """The audited values: {"mode", "reason", "providers" (sorted list)}."""
        return {"mode": self.mode, "reason": self.reason, "providers": sorted(self.providers)}


# Built once with a bound parameter (as permissions.USER_AND_ORGANIZATIONS): many pages read it.
POLICY_OF_ORG = select(ProviderPolicy.mode, ProviderPolicy.reason, ProviderPolicy.providers,
                       ProviderPolicy.version, ProviderPolicy.id
                       ).where(ProviderPolicy.organization_id == bindparam("org_id"))


def get_policy(org: OrgRef) -> Policy:
    """Anyone in the org: its policy (allow all when none is stored); one small query."""
    row = db.session.execute(POLICY_OF_ORG, {"org_id": org.id}).first()
    if row is None:
        return Policy()
    mode, reason, providers, version, policy_id = row
    return Policy(mode, reason or "", frozenset(providers or ()), version, policy_id)


def provider_choices() -> dict[str, list[tuple[str, str]]]:
    """What a policy may list, per kind, as (slug, name) by name: the provider catalog, the
    plugin catalog (hidden plugins left out) and every sentry app (one query)."""
    apps = db.session.execute(select(SentryApp.slug, SentryApp.name)
                              .order_by(func.lower(SentryApp.name), SentryApp.slug)).all()
    return {
        FIRST_PARTY: sorted(((p.key, p.name) for p in PROVIDERS.values()),
                            key=lambda choice: choice[1].lower()),
        PLUGIN: sorted(((p.slug, p.title) for p in PLUGINS.values() if not p.is_hidden),
                       key=lambda choice: choice[1].lower()),
        SENTRY_APP: [(slug, name) for slug, name in apps],
    }


def clean_policy(mode: object, reason: object, providers: Mapping[str, object],
                 known: Mapping[str, Iterable[str]]) -> Policy:
    """A submitted policy checked against `known` slugs per kind (provider_choices): the
    cleaned Policy (version 0), or ValidationFailed with messages under `mode`, `reason` and
    each kind. The page, and load-data, check with this one function."""
    errors: dict[str, list[str]] = {}
    if not isinstance(mode, str) or mode not in MODES:
        errors["mode"] = ["Choose one of: allow all, allow only these, block these."]
    reason_text, reason_error = clean_note(reason, "Reason", REASON_MAX_LENGTH)
    if reason_error:
        errors["reason"] = [reason_error]
    listed: set[str] = set()
    for kind, slugs in providers.items():
        if kind not in KINDS:
            errors.setdefault("__all__", []).append(messages.unknown("provider type", kind) + ".")
            continue
        if isinstance(slugs, str) or not isinstance(slugs, list | tuple | set | frozenset):
            errors[kind] = ["Must be a list of providers."]
            continue
        allowed = set(known.get(kind, ()))
        unknown = [str(slug) for slug in slugs if not isinstance(slug, str) or slug not in allowed]
        if unknown:
            errors[kind] = [messages.unknown("provider", slug) for slug in unknown]
            continue
        listed.update(policy_key(kind, slug) for slug in slugs)
    if not errors and mode != ALLOW_ALL:
        if not listed:
            verb = "allow" if mode == ALLOW_ONLY else "block"
            errors["mode"] = [f"Choose at least one provider to {verb}, or allow all."]
        if not reason_text:
            errors["reason"] = ["Give the reason members will see."]
    if errors:
        raise ValidationFailed(errors)
    return Policy(str(mode), reason_text, frozenset(listed))


def update_policy(access: OrgAccess, mode: object, reason: object,
                  providers: Mapping[str, object], expected_version: int | None,
                  ip_address: str | None = None) -> dict[str, dict[str, object]]:
    """Owners and managers: set the org's policy. ValidationFailed (nothing written) for bad
    values; StaleEdit when `expected_version` (None: no check) is not the stored one (0:
    none stored), also when another first save of the org's policy wins the insert. Writes
    PROVIDER_POLICY_EDIT with the before/after diff in the current transaction; the caller
    commits. Returns the changes (empty: nothing changed)."""
    access.require(Capability.MANAGE_POLICY)
    known = {kind: [slug for slug, _ in choices] for kind, choices in provider_choices().items()}
    wanted = clean_policy(mode, reason, providers, known)
    org = access.organization
    row = _stored_policy_for_update(org)
    current = (Policy(row.mode, row.reason, frozenset(row.providers or ()), row.version)
               if row is not None else Policy())
    before, after = current.as_values(), wanted.as_values()
    if expected_version is not None and expected_version != current.version:
        raise StaleEdit(_stale_changes(before, after, expected_version, current.version))
    changes = diff_values(before, after)
    if not changes:
        return {}
    if row is None:
        row = ProviderPolicy(organization_id=org.id, mode=wanted.mode, reason=wanted.reason,
                             providers=sorted(wanted.providers), updated_by_id=access.user.id)
        try:  # no row to lock: another first save of this org's policy may insert it too
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            stored = get_policy(org)
            if stored.id is None:
                raise
            if expected_version is None:  # no check asked for: save over the other one
                return update_policy(access, mode, reason, providers, None, ip_address)
            raise StaleEdit(_stale_changes(stored.as_values(), after, 0, stored.version)) from None
    else:
        row.mode, row.reason, row.providers = wanted.mode, wanted.reason, sorted(wanted.providers)
        row.updated_by_id = access.user.id
    db.session.flush()
    record_audit(event=AUDIT_EVENT, actor=access.user, organization=org,
                 target_type=TARGET_TYPE, target_id=row.id, target_object="Integration policy",
                 data={"changes": changes}, ip_address=ip_address)
    db.session.flush()
    return changes


def _stored_policy_for_update(org: OrgRef) -> ProviderPolicy | None:
    """The org's stored policy row, locked until the transaction ends (None: none stored)."""
    return db.session.scalar(
        select(ProviderPolicy).where(ProviderPolicy.organization_id == org.id).with_for_update()
    )


def _stale_changes(stored: dict[str, object], wanted: dict[str, object], expected_version: int,
                   stored_version: int) -> dict[str, tuple[object, object]]:
    """StaleEdit's changes: {field: (the submitted value, the stored one)} where they
    differ, else the versions."""
    differ = {name: (wanted[name], stored[name]) for name in wanted if wanted[name] != stored[name]}
    return differ or {"version": (expected_version, stored_version)}


def blocked_installation_count(org: OrgRef, policy: Policy) -> int:
    """How many of the org's shown installations are of providers the policy blocks (from
    the trigger-kept counts: one small query)."""
    keys = policy.blocked_provider_keys()
    if not keys:
        return 0
    counts = OrganizationIntegrationCount
    return int(db.session.scalar(
        select(func.coalesce(func.sum(counts.count), 0)).where(
            counts.organization_id == org.id, counts.provider.in_(sorted(keys)),
            counts.status.in_([int(s) for s in VISIBLE_STATUSES]))
    ) or 0)
