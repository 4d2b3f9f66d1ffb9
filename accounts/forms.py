from django import forms
from django.contrib.auth import forms as auth_forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User, fold_username
from lib.forms import MultilineField
from lib.honeypot import HoneypotMixin

EMAIL_TAKEN = _(
    "An account with that email address already exists. If it is yours, "
    "sign in or reset its password."
)


def username_q(username: str) -> Q:
    """Return a filter matching `username` in any case, Cyrillic included."""
    return Q(username_key=fold_username(username))


def _email_in_use(email: str, exclude_pk: int | None = None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


class SignUpForm(HoneypotMixin, auth_forms.UserCreationForm):
    """A new reader: username, email and a password typed twice.

    Usernames that differ from an existing one only in case ("ALICE" when
    "alice" exists) are taken, unclaimed imported accounts' names included.
    """

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("For resetting your password; never shown to other readers."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean_username(self) -> str:
        # Replaces UserCreationForm's iexact check with the folded key.
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username_q(username)).exists():
            raise forms.ValidationError(_("That username is taken."), code="unique")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if _email_in_use(email):
            raise forms.ValidationError(EMAIL_TAKEN, code="email_taken")
        return email


class SignInForm(auth_forms.AuthenticationForm):
    """Username in any case and password; unclaimed accounts are refused."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match an account."),
    }


class ProfileForm(forms.ModelForm):
    """What a reader may change about themselves on their profile."""

    class Meta:
        model = User
        fields = ("bio", "location", "email")
        field_classes = {"bio": MultilineField}
        labels = {
            "bio": _("About me"),
            "location": _("Location"),
            "email": _("Email address"),
        }
        help_texts = {
            "bio": _("Plain text, shown on your profile."),
            "email": _("For resetting your password; never shown to other readers."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if _email_in_use(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(
                _("Another account already uses that email address."),
                code="email_taken",
            )
        return email


class DeleteAccountForm(forms.Form):
    """The reader's password, to confirm that they mean to delete the account."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your password to delete your account.")},
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password; your account was not deleted."),
                code="password_incorrect",
            )
        return password
