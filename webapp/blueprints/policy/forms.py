"""The provider policy form: the mode, the reason members see, and the providers it lists
(one checkbox list per kind, named as the service's kinds, so its errors land beside them)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2

from webapp.blueprints.integrations.forms import MultiCheckboxField
from webapp.services.policy import KINDS, MODES, REASON_MAX_LENGTH


class PolicyForm(FlaskForm):
    """Owners and managers: the org's policy. Choices of the provider lists come from
    `services.policy.provider_choices` (`set_choices`); the service checks every value."""

    mode = RadioField("Policy", choices=[SelectChoice(value, label) for value, label in MODES.items()],
                      validate_choice=False)
    reason = TextAreaField(
        "Reason shown to members",
        description=f"Members see it where the policy refuses a provider (the directory, the "
                    f"request form). Required unless all providers are allowed; up to "
                    f"{REASON_MAX_LENGTH} characters.",
        render_kw={"rows": 3, "maxlength": REASON_MAX_LENGTH})
    first_party = MultiCheckboxField(KINDS["first_party"], choices=[], validate_choice=False)
    plugin = MultiCheckboxField(KINDS["plugin"], choices=[], validate_choice=False)
    sentry_app = MultiCheckboxField(KINDS["sentry_app"], choices=[], validate_choice=False)
    version = HiddenField()

    def set_choices(self, choices: dict[str, list[tuple[str, str]]]) -> None:
        for kind, options in choices.items():
            self[kind].choices = [SelectChoice(slug, name) for slug, name in options]

    def providers(self) -> dict[str, list[str]]:
        """The checked providers per kind."""
        return {kind: list(self[kind].data or []) for kind in KINDS}
