from django import forms
from django.utils.translation import gettext_lazy as _

from lib.forms import MultilineField
from moderation.models import Report

REMOVAL_REASONS = [
    ("Abuse or insults", _("Abuse or insults")),
    ("Spam or advertising", _("Spam or advertising")),
    ("Off-topic", _("Off-topic")),
    ("Illegal content", _("Illegal content")),
    ("Personal data of others", _("Personal data of others")),
    ("", _("Other (write below)")),
]


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this comment?"),
        choices=[
            c for c in Report.Reason.choices if c[0] != Report.Reason.SUSPECT_WORDS
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason for the report.")},
    )
    detail = MultilineField(
        label=_("Details (optional, required for “Something else”)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RemoveForm(forms.Form):
    reason_choice = forms.ChoiceField(
        label=_("Reason"),
        choices=REMOVAL_REASONS,
        required=False,
        initial=REMOVAL_REASONS[0][0],
    )
    reason_text = forms.CharField(
        label=_("Reason (free text)"), required=False, max_length=500
    )

    def reason(self) -> str:
        data = self.cleaned_data
        return (data.get("reason_text") or data.get("reason_choice") or "").strip()


class ReaderActionForm(forms.Form):
    text = MultilineField(
        label=_("Reason or note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    until = forms.DateTimeField(
        label=_("Suspended until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SiteModeForm(forms.Form):
    read_only = forms.BooleanField(required=False, label=_("Read-only site"))
    premoderate_all = forms.BooleanField(
        required=False, label=_("Hold every new comment for review")
    )
    message = forms.CharField(
        required=False, max_length=300, label=_("Message to readers while read-only")
    )
