"""A honeypot field that people never see and form-filling bots do.

`HoneypotMixin` adds a text input named "website" to a form. The widget counts
as hidden, so `templates/form_fields.html` renders it with the hidden fields;
its template draws its own wrapper (class "hp-field", moved off screen by the
stylesheet rather than `display: none`, which some bots skip), its own label
asking people to leave it empty, `aria-hidden` for screen readers and
`tabindex="-1"` for the keyboard. A form that comes back with it filled is
invalid with a neutral message, and the hit is logged to "tribune.security".
"""

import logging

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lib import widgets

security_log = logging.getLogger("tribune.security")

FIELD_NAME = "website"
LABEL = _("Leave this field empty")
REFUSED = _("Your submission could not be accepted.")


class HoneypotInput(widgets.TextInput):
    # Rendered with the hidden fields: no wrapper, label or help text from
    # form_fields.html, which would make it part of the visible form.
    is_hidden = True

    def __init__(self, attrs=None):
        super().__init__(
            {"tabindex": "-1", "autocomplete": "off", "spellcheck": "false"}
            | (attrs or {})
        )

    def format_value(self, value):
        # Always rendered empty: a person whose browser filled it in can
        # simply submit again.
        return None

    def use_required_attribute(self, initial):
        return False

    def render(self, name, value, attrs=None, renderer=None):
        # Drawn here rather than by a template: the form renderer's template
        # engine only looks in apps, and lib is not one.
        input_html = super().render(name, value, attrs, renderer)
        input_id = self.build_attrs(self.attrs, attrs).get("id", "")
        return format_html(
            '<div class="hp-field" aria-hidden="true">'
            '<label for="{}">{}</label>{}</div>',
            input_id,
            LABEL,
            input_html,
        )


class HoneypotField(forms.CharField):
    widget = HoneypotInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", LABEL)
        # Bots paste anything; none of it should fail as "too long" first.
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


class HoneypotMixin:
    """Add the honeypot to a Form or ModelForm; put it first among the bases."""

    honeypot_name = FIELD_NAME

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.honeypot_name] = HoneypotField()

    @property
    def honeypot_tripped(self) -> bool:
        """True if the submitted form filled the honeypot (after is_valid())."""
        return bool(getattr(self, "cleaned_data", {}).get(self.honeypot_name))

    def clean(self):
        cleaned_data = super().clean()
        if self.honeypot_tripped:
            # Deliberately says nothing of why, so a bot's author learns little;
            # the text stays in the re-rendered form for a person to resubmit.
            security_log.warning(
                "honeypot filled form=%s length=%d",
                type(self).__name__,
                len(self.cleaned_data[self.honeypot_name]),
            )
            raise forms.ValidationError(REFUSED, code="honeypot")
        return cleaned_data
