from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lib import widgets
from lib.honeypot import HoneypotMixin


class CommentForm(widgets.DirectLabelsMixin, HoneypotMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=widgets.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Markdown: *emphasis*, **strong**, > quote, - lists, [links](https://…)."
        ),
        error_messages={"required": _("Write something before posting.")},
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
                gettext(
                    "Comments can be at most %(limit)s characters; this one has "
                    "%(length)s. Shorten it and post again."
                )
                % {
                    "limit": number_format(limit, force_grouping=True),
                    "length": number_format(len(body), force_grouping=True),
                }
            )
        return body

    def clean_parent(self):
        number = self.cleaned_data["parent"].strip()
        if number and not all(part.isdigit() for part in number.split(".")):
            raise forms.ValidationError(_("That is not a comment number."))
        return number


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("A comment cannot be empty; delete it instead.")},
    )


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "−1"), ("0", "withdraw")], coerce=int
    )
