"""What the dashboard accepts from the URL: the leads explorer's filters."""

from django import forms

from analytics.selectors import BUDGET_RANGES, LeadFilters
from leads.models import Conversation, Intent, Language, Temperature, Timeline


def _choices(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class LeadFilterForm(forms.Form):
    """The explorer's filters; invalid values are refused with a message (never ignored)."""

    budget = forms.ChoiceField(
        required=False,
        choices=_choices("Any budget", [(key, label) for key, label, _, _ in BUDGET_RANGES]),
    )
    timeline = forms.ChoiceField(required=False, choices=_choices("Any timeline", Timeline.choices))
    temperature = forms.ChoiceField(
        required=False, choices=_choices("Any temperature", Temperature.choices)
    )
    intent = forms.ChoiceField(required=False, choices=_choices("Any intent", Intent.choices))
    stage = forms.ChoiceField(
        required=False, choices=_choices("Any stage", Conversation.Stage.choices)
    )
    language = forms.ChoiceField(required=False, choices=_choices("Any language", Language.choices))
    source = forms.ChoiceField(required=False, choices=[("", "Any source")])
    created_from = forms.DateField(
        required=False, label="First contact from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        required=False, label="First contact until", widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, sources: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        wanted = self.data.get("source", "")
        # A source nobody has any more still filters (to nothing) rather than being refused.
        known = sources if not wanted or wanted in sources else [*sources, wanted]
        self.fields["source"].choices = _choices("Any source", [(s, s) for s in known])

    def clean_source(self):
        source = self.cleaned_data["source"]
        if len(source) > 120:
            raise forms.ValidationError("A source is at most 120 characters.")
        return source

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end of the date range is before its start.")
        return cleaned

    def filters(self) -> LeadFilters:
        """The valid filters; an empty field is no filter."""
        return LeadFilters(
            **{name: value for name, value in self.cleaned_data.items() if name != "page" and value}
        )
