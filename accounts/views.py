import logging
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.sites.shortcuts import get_current_site
from django.db import IntegrityError, transaction
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import privacy
from accounts.forms import (
    DeleteAccountForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
    username_q,
)
from accounts.models import User
from accounts.ranks import all_ranks, next_rank
from discussion.models import Comment
from lib import ratelimit
from lib.http import client_ip, safe_next
from newsroom.models import Article

security_log = logging.getLogger("tribune.security")

# Sign-up and sign-in log readers in through this backend explicitly, so
# adding a second backend to settings cannot break them.
_BACKEND = "accounts.backends.CaseInsensitiveModelBackend"

RECENT_COMMENTS = 10


def _signup_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "signup-address", settings.TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR, 3600
    )


def _signin_limits() -> tuple[ratelimit.Limit, ratelimit.Limit]:
    """Return the (per account, per address) limits on failed sign-ins."""
    window = settings.TRIBUNE_SIGNIN_WINDOW
    return (
        ratelimit.Limit(
            "signin-account", settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT, window
        ),
        ratelimit.Limit(
            "signin-address", settings.TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS, window
        ),
    )


def _account_key(username: str) -> str:
    # The same account however the attacker types it: the form normalizes
    # NFKC (full-width letters sign in as plain ones) and the lookup ignores case.
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _front() -> str:
    return reverse("newsroom-front")


def _refuse_unchecked(form, message: str) -> None:
    """Give a bound form only `message` as its error, without cleaning it.

    Cleaning a sign-in form checks the password; a throttled attempt must not,
    or whether "do not match" appears beside the refusal would tell the
    attacker that a guess was right.
    """
    form.cleaned_data, form._errors = {}, ErrorDict()
    form.add_error(None, message)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request, _front()))
    limit = _signup_limit()
    address = client_ip(request)
    if request.method == "POST":
        form = SignUpForm(request.POST)
        wait = ratelimit.retry_after(limit, address)
        if wait:
            security_log.warning("sign-up throttled address=%s", address)
            form.add_error(
                None,
                _(
                    "Too many accounts were created from your address. "
                    "Try again %(when)s."
                )
                % {"when": ratelimit.describe_wait(wait)},
            )
        elif form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:
                # Someone took the name (in another case) since is_valid().
                form.add_error("username", _("That username is taken."))
            else:
                ratelimit.hit(limit, address)
                security_log.info(
                    "sign-up username=%r address=%s", user.username, address
                )
                login(request, user, backend=_BACKEND)
                return redirect(safe_next(request, _front()))
    else:
        form = SignUpForm()
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": safe_next(request, "")},
    )


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignInForm(request, data=request.POST)
        username = request.POST.get("username", "")
        address = client_ip(request)
        account_limit, address_limit = _signin_limits()
        account_key = _account_key(username)
        wait = max(
            ratelimit.retry_after(account_limit, account_key),
            ratelimit.retry_after(address_limit, address),
        )
        if wait:
            # Refused before the password is checked, so a throttled attacker
            # learns nothing even from a correct guess.
            security_log.warning(
                "sign-in throttled username=%r address=%s", username, address
            )
            _refuse_unchecked(
                form,
                _("Too many failed sign-in attempts. Try again %(when)s.")
                % {"when": ratelimit.describe_wait(wait)},
            )
        elif form.is_valid():
            user = form.get_user()
            # The address counter stays: one address trying many accounts
            # must not clear its record with one account it controls.
            ratelimit.reset(account_limit, account_key)
            # login() and a failed authenticate() are logged by accounts.security.
            login(request, user, backend=_BACKEND)
            return redirect(safe_next(request, _front()))
        else:
            ratelimit.hit(account_limit, account_key)
            ratelimit.hit(address_limit, address)
    else:
        form = SignInForm(request)
    return render(
        request,
        "accounts/signin.html",
        {"form": form, "next": safe_next(request, "")},
    )


@require_http_methods(["GET", "POST"])
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out on POST; GET asks for confirmation, since links can be forged."""
    if request.method == "POST":
        logout(request)  # logged by accounts.security
        return redirect(safe_next(request, _front()))
    return render(request, "accounts/signout.html", {"next": safe_next(request, "")})


def _comment_link(comment: Comment) -> str:
    try:
        return comment.get_absolute_url()
    except NoReverseMatch:
        # Until discussion has a per-comment URL, point at the thread anchor.
        return f"{comment.article.get_absolute_url()}#{comment.anchor}"


def _get_reader(username: str) -> User:
    """Return the account named `username` in any case, or raise 404."""
    readers = list(User.objects.filter(username_q(username)))
    if not readers:
        raise Http404("No reader has that name.")
    # Should the database ever hold two spellings, the exact one wins.
    exact = [reader for reader in readers if reader.username == username]
    return (exact or readers)[0]


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A reader's public page; three queries however many comments they wrote."""
    reader = _get_reader(username)
    # Only comments readers can see, on articles readers can see: a comment
    # on a draft must not reveal the draft's title.
    visible = Comment.objects.filter(
        author=reader,
        status=Comment.Status.PUBLISHED,
        article__status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
        article__published_at__lte=timezone.now(),
    )
    recent = list(
        visible.select_related("article").order_by("-created_at", "-id")[
            :RECENT_COMMENTS
        ]
    )
    for comment in recent:
        comment.link = _comment_link(comment)
    return render(
        request,
        "accounts/profile.html",
        {
            "reader": reader,
            "comment_count": visible.count(),
            "recent_comments": recent,
            "next_rank": next_rank(reader.reputation),
            "is_own": request.user.is_authenticated and request.user.pk == reader.pk,
            "ranks": all_ranks(),
            "reputation_rules": {
                "approved": settings.TRIBUNE_REPUTATION_APPROVED,
                "removed": settings.TRIBUNE_REPUTATION_REMOVED,
                "trusted": settings.TRIBUNE_TRUSTED_REPUTATION,
                "min_approved": settings.TRIBUNE_TRUST_MIN_APPROVED,
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile is saved."))
            return redirect(request.user)
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    """GET explains the download; POST returns the reader's data as a JSON file.

    POST only, so a link or an image on another site cannot start a download.
    """
    if request.method == "POST":
        user = request.user
        security_log.info(
            "data export username=%r address=%s", user.username, client_ip(request)
        )
        response = JsonResponse(
            privacy.export_user_data(user),
            json_dumps_params={"indent": 2, "ensure_ascii": False},
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"tribune-data-{user.username}.json"
        )
        return response
    return render(request, "accounts/data.html")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """Delete the signed-in reader's account once they confirm their password."""
    user = request.user
    address = client_ip(request)
    # Wrong passwords here count with failed sign-ins, so a borrowed session
    # cannot be used to guess the password.
    account_limit, _address_limit = _signin_limits()
    account_key = _account_key(user.username)
    refusal = None
    if request.method == "POST":
        wait = ratelimit.retry_after(account_limit, account_key)
        if wait:
            # Checked before the password, and with an unbound form, so a
            # throttled guess reveals nothing.
            form = DeleteAccountForm(user)
            refusal = _(
                "Too many wrong passwords. Your account was not deleted. "
                "Try again %(when)s."
            ) % {"when": ratelimit.describe_wait(wait)}
        else:
            form = DeleteAccountForm(user, request.POST)
            if form.is_valid():
                username, pk = user.username, user.pk
                privacy.delete_account(user)
                logout(request)
                security_log.warning(
                    "account deleted username=%r id=%s comments=%s address=%s",
                    username,
                    pk,
                    settings.TRIBUNE_DELETED_ACCOUNT_COMMENTS,
                    address,
                )
                messages.success(
                    request,
                    _("Your account is deleted. Thank you for reading Tribune."),
                )
                return redirect(_front())
            if form.has_error("password", "password_incorrect"):
                ratelimit.hit(account_limit, account_key)
                security_log.warning(
                    "account deletion refused: wrong password username=%r address=%s",
                    user.username,
                    address,
                )
    else:
        form = DeleteAccountForm(user)
    return render(
        request,
        "accounts/delete.html",
        {
            "form": form,
            "refusal": refusal,
            "comments_removed": (
                settings.TRIBUNE_DELETED_ACCOUNT_COMMENTS == privacy.REMOVE
            ),
        },
    )


# Django's form views treat PUT as POST; the site's forms only ever POST.
_FORM_METHODS = ["get", "post", "head", "options"]


class PasswordResetView(auth_views.PasswordResetView):
    http_method_names = _FORM_METHODS
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts-password-reset-done")

    def get_context_data(self, **kwargs):
        # Only for the "back to sign in" link; the emailed link cannot carry it.
        return super().get_context_data(next=safe_next(self.request, ""), **kwargs)

    def form_valid(self, form):
        # The link points at the host the reader asked from (Django has
        # already checked it against ALLOWED_HOSTS), not the Site record,
        # which development databases leave as "example.com".
        self.extra_email_context = {
            "domain": self.request.get_host(),
            "site_name": get_current_site(self.request).name,
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    http_method_names = _FORM_METHODS
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts-password-reset-complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Wrong current passwords count with failed sign-ins, as on the delete
    page: a borrowed session must not become a way to guess the password."""

    http_method_names = _FORM_METHODS
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts-password-change-done")

    def post(self, request, *args, **kwargs):
        account_limit, _address_limit = _signin_limits()
        wait = ratelimit.retry_after(account_limit, _account_key(request.user.username))
        if not wait:
            return super().post(request, *args, **kwargs)
        security_log.warning(
            "password change throttled username=%r address=%s",
            request.user.username,
            client_ip(request),
        )
        # Refused before the current password is checked.
        form = self.get_form()
        _refuse_unchecked(
            form,
            _(
                "Too many wrong passwords. Your password was not changed. "
                "Try again %(when)s."
            )
            % {"when": ratelimit.describe_wait(wait)},
        )
        return self.form_invalid(form)

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            account_limit, _address_limit = _signin_limits()
            ratelimit.hit(account_limit, _account_key(self.request.user.username))
            security_log.warning(
                "password change refused: wrong password username=%r address=%s",
                self.request.user.username,
                client_ip(self.request),
            )
        return super().form_invalid(form)
