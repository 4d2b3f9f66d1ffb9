from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["email_replies", "email_follows", "moderator_digest"]
        widgets = {
            "email_replies": forms.RadioSelect,
            "email_follows": forms.RadioSelect,
        }

    def __init__(self, *args, moderator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not moderator:
            del self.fields["moderator_digest"]
        else:
            self.fields["moderator_digest"].help_text = _(
                "Open reports filed since the previous digest, once a day."
            )
