from django import forms
from django.conf import settings

from lib import widgets
from lib.honeypot import HoneypotMixin


class CommentForm(HoneypotMixin, forms.Form):
    body = forms.CharField(
        label="Your comment",
        widget=widgets.Textarea(attrs={"rows": 6}),
        help_text="Markdown: *emphasis*, **strong**, > quote, - lists, [links](https://…).",
        error_messages={"required": "Write something before posting."},
    )
    parent = forms.CharField(required=False, widget=widgets.HiddenInput)
    client_token = forms.CharField(required=False, widget=widgets.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = (
            settings.TRIBUNE_COMMENT_MAX_LENGTH
        )

    def clean_body(self):
        # Browsers count a line break as one character against maxlength but
        # send it as CR LF; count it as one here too.
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        limit = settings.TRIBUNE_COMMENT_MAX_LENGTH
        if len(body) > limit:
            raise forms.ValidationError(
                f"Comments can be at most {limit:,} characters; this one has "
                f"{len(body):,}. Shorten it and post again."
            )
        return body

    def clean_parent(self):
        number = self.cleaned_data["parent"].strip()
        if number and not all(part.isdigit() for part in number.split(".")):
            raise forms.ValidationError("That is not a comment number.")
        return number


class EditForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "A comment cannot be empty; delete it instead."},
    )


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "−1"), ("0", "withdraw")], coerce=int
    )
