from django import forms

from moderation.models import Report

REMOVAL_REASONS = [
    ("Abuse or insults", "Abuse or insults"),
    ("Spam or advertising", "Spam or advertising"),
    ("Off-topic", "Off-topic"),
    ("Illegal content", "Illegal content"),
    ("Personal data of others", "Personal data of others"),
    ("", "Other (write below)"),
]


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this comment?",
        choices=[
            c for c in Report.Reason.choices if c[0] != Report.Reason.SUSPECT_WORDS
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason for the report."},
    )
    detail = forms.CharField(
        label="Details (optional, required for “Something else”)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RemoveForm(forms.Form):
    reason_choice = forms.ChoiceField(
        label="Reason",
        choices=REMOVAL_REASONS,
        required=False,
        initial=REMOVAL_REASONS[0][0],
    )
    reason_text = forms.CharField(
        label="Reason (free text)", required=False, max_length=500
    )

    def reason(self) -> str:
        data = self.cleaned_data
        return (data.get("reason_text") or data.get("reason_choice") or "").strip()


class ReaderActionForm(forms.Form):
    text = forms.CharField(
        label="Reason or note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    until = forms.DateTimeField(
        label="Suspended until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SiteModeForm(forms.Form):
    read_only = forms.BooleanField(required=False, label="Read-only site")
    premoderate_all = forms.BooleanField(
        required=False, label="Hold every new comment for review"
    )
    message = forms.CharField(
        required=False, max_length=300, label="Message to readers while read-only"
    )
