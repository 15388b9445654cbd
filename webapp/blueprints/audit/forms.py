"""The audit log's GET filter form: event and actor selects with facet counts."""

from wtforms import SelectField

from webapp.blueprints.filters import ListFilterForm


class AuditLogFilterForm(ListFilterForm):
    """`event` (an event present in the org's log) and `actor` (a user id, an email or "system").

    Choices are filled by the view from the service's facets; the service validates the values,
    so the fields skip WTForms' own choice check (its message would not name the bad value).
    """

    event = SelectField("Event", choices=[], validate_choice=False)
    actor = SelectField("Actor", choices=[], validate_choice=False)

    def set_choices(self, event_facets, actor_choices) -> None:
        """Fill both selects; a submitted value that is not a choice stays selected, marked unknown."""
        self.event.choices = [("", "All events")] + [
            (event, f"{event} ({count:,})") for event, count in event_facets
        ]
        self.actor.choices = [("", "Anyone")] + [(c.value, c.label) for c in actor_choices]
        for select in (self.event, self.actor):
            value = (select.data or "").strip()
            if value and value not in {v for v, _ in select.choices}:
                select.choices.append((select.data, f"{select.data} (unknown)"))

    def select_actor(self, actor) -> None:
        """Show the resolved actor (an email or " 12 " typed in the URL) as the selected option."""
        if actor is not None:
            self.actor.data = str(actor)
