"""The audit log's GET filter form: event and actor selects with facet counts, checked
against the org's log (its facets), and a date range (UTC days, both ends included)."""

from wtforms import SelectField
from wtforms.validators import ValidationError

from webapp import messages
from webapp.blueprints.filters import DayField, ListFilterForm
from webapp.services.audit import (
    ActorChoice,
    AuditFacets,
    AuditFilters,
    DateRange,
    audit_actor_error,
    audit_event_error,
    event_label,
    resolve_actor,
)


class AuditLogFilterForm(ListFilterForm):
    """`event` (an event present in the org's log), `actor` (a user id, an email or
    "system"), `date_from` / `date_to` (YYYY-MM-DD, UTC, both included).

    The view reads `date_range()` first (the facets are counted within it), then sets
    `facets`, which the event and actor rules check the values against, and validates;
    choices are filled by the view from the same facets. The fields skip WTForms' own
    choice check (its message would not name the bad value).
    """

    event = SelectField("Event", choices=[], validate_choice=False)
    actor = SelectField("Actor", choices=[], validate_choice=False)
    date_from = DayField("From", description="UTC day, included.")
    date_to = DayField("To", description="UTC day, included.")

    def __init__(self, *args, facets: AuditFacets | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.facets = facets if facets is not None else AuditFacets()

    def date_range(self) -> DateRange:
        """The dates as typed when both can be used (each a date or empty, the start not
        after the end); else no range (validate() then says why beside the field)."""
        start, end = self.date_from, self.date_to
        if start.process_errors or end.process_errors:
            return DateRange()
        if start.data and end.data and start.data > end.data:
            return DateRange()
        return DateRange(start.data, end.data)

    def validate_date_to(self, field) -> None:
        start = self.date_from
        if field.data and start.data and not start.process_errors and start.data > field.data:
            raise ValidationError(messages.start_after_end(start.label.text, field.label.text))

    def validate_event(self, field) -> None:
        message = audit_event_error(field.data, self.facets)
        if message:
            raise ValidationError(message)

    def validate_actor(self, field) -> None:
        message = audit_actor_error(field.data, self.facets)
        if message:
            raise ValidationError(message)

    def filters(self) -> AuditFilters:
        """The filters (after `validate()`); none at all while a filter is refused."""
        if self.event.errors or self.actor.errors or self.date_from.errors or self.date_to.errors:
            return AuditFilters()
        return AuditFilters(event=(self.event.data or "").strip() or None,
                            actor=resolve_actor(self.actor.data, self.facets),
                            dates=self.date_range())

    def set_choices(self, event_facets: list[tuple[str, int]], actor_choices: list[ActorChoice],
                    filters: AuditFilters) -> None:
        """Fill both selects. The actor the filters name shows as chosen (an email or " 12 "
        typed in the URL included); a submitted value that is not a choice stays selected,
        marked unknown."""
        if filters.actor is not None:
            self.actor.data = str(filters.actor)
        events = [("", "All events")] + [
            (event, f"{event_label(event)} ({count:,})") for event, count in event_facets
        ]
        actors = [("", "Anyone")] + [(c.value, c.label) for c in actor_choices]
        for select, choices in ((self.event, events), (self.actor, actors)):
            value = (select.data or "").strip()
            if value and value not in {v for v, _ in choices}:
                choices.append((select.data, f"{select.data} (unknown)"))
            select.choices = choices
