import logging
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.sites.shortcuts import get_current_site
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm, SignInForm, SignUpForm, username_q
from accounts.models import User
from accounts.ranks import next_rank
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
            form.add_error(
                None,
                "Too many accounts were created from your address. "
                f"Try again {ratelimit.describe_wait(wait)}.",
            )
        elif form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:
                # Someone took the name (in another case) since is_valid().
                form.add_error("username", "That username is taken.")
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
            form.add_error(
                None,
                "Too many failed sign-in attempts. "
                f"Try again {ratelimit.describe_wait(wait)}.",
            )
        elif form.is_valid():
            user = form.get_user()
            # The address counter stays: one address trying many accounts
            # must not clear its record with one account it controls.
            ratelimit.reset(account_limit, account_key)
            security_log.info(
                "sign-in succeeded username=%r address=%s", user.username, address
            )
            login(request, user, backend=_BACKEND)
            return redirect(safe_next(request, _front()))
        else:
            ratelimit.hit(account_limit, account_key)
            ratelimit.hit(address_limit, address)
            security_log.warning(
                "sign-in failed username=%r address=%s", username, address
            )
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
        if request.user.is_authenticated:
            security_log.info(
                "sign-out username=%r address=%s",
                request.user.username,
                client_ip(request),
            )
        logout(request)
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
        visible.select_related("article").order_by("-created_at")[:RECENT_COMMENTS]
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
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect(request.user)
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "accounts/profile_edit.html", {"form": form})


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
    http_method_names = _FORM_METHODS
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts-password-change-done")
