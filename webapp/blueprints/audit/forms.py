"""The audit log's GET filter form: event and actor selects with facet counts, checked
against the org's log (its facets)."""

from wtforms import SelectField
from wtforms.validators import ValidationError

from webapp.blueprints.filters import ListFilterForm
from webapp.services.audit import (
    ActorChoice,
    AuditFacets,
    AuditFilters,
    audit_actor_error,
    audit_event_error,
    resolve_actor,
)


class AuditLogFilterForm(ListFilterForm):
    """`event` (an event present in the org's log) and `actor` (a user id, an email or "system").

    Built with the org's `facets`, which its rules check the values against; choices are
    filled by the view from the same facets. The fields skip WTForms' own choice check (its
    message would not name the bad value).
    """

    event = SelectField("Event", choices=[], validate_choice=False)
    actor = SelectField("Actor", choices=[], validate_choice=False)

    def __init__(self, *args, facets: AuditFacets, **kwargs):
        super().__init__(*args, **kwargs)
        self.facets = facets

    def validate_event(self, field) -> None:
        message = audit_event_error(field.data, self.facets)
        if message:
            raise ValidationError(message)

    def validate_actor(self, field) -> None:
        message = audit_actor_error(field.data, self.facets)
        if message:
            raise ValidationError(message)

    def filters(self) -> AuditFilters:
        """The filters (after `validate()`); none at all while the event or the actor is refused."""
        if self.event.errors or self.actor.errors:
            return AuditFilters()
        return AuditFilters(event=(self.event.data or "").strip() or None,
                            actor=resolve_actor(self.actor.data, self.facets))

    def set_choices(self, event_facets: list[tuple[str, int]], actor_choices: list[ActorChoice],
                    filters: AuditFilters) -> None:
        """Fill both selects. The actor the filters name shows as chosen (an email or " 12 "
        typed in the URL included); a submitted value that is not a choice stays selected,
        marked unknown."""
        if filters.actor is not None:
            self.actor.data = str(filters.actor)
        events = [("", "All events")] + [
            (event, f"{event} ({count:,})") for event, count in event_facets
        ]
        actors = [("", "Anyone")] + [(c.value, c.label) for c in actor_choices]
        for select, choices in ((self.event, events), (self.actor, actors)):
            value = (select.data or "").strip()
            if value and value not in {v for v, _ in choices}:
                choices.append((select.data, f"{select.data} (unknown)"))
            select.choices = choices
