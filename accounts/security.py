"""Security events to the "tribune.security" log, from signals.

Sign-in success and failure, sign-out, password changes, changes of groups,
permissions and the staff, superuser and active flags, and moderation
decisions (every AuditEntry) are logged wherever they happen: the site's own
forms, the admin, the shell. Records name the account, the address and, where
a request is at hand, who acted; never a password, a hash, a token or a
session key.
"""

import contextvars
import logging

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_init, post_save
from django.dispatch import receiver

from accounts.models import User
from lib.http import client_ip

security_log = logging.getLogger("tribune.security")

# The request being handled, for signals that are not given it (saves and
# group changes), so their records say who acted and from where.
_current_request = contextvars.ContextVar("tribune_security_request", default=None)

_FLAGS = ("is_staff", "is_superuser", "is_active")


class RequestContextMiddleware:
    """Make the request visible to the security signals while it is handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _actor() -> str:
    """Return "by=NAME address=IP" for the current request, or "by=system"."""
    request = _current_request.get()
    if request is None:
        return "by=system"
    user = getattr(request, "user", None)
    name = user.username if user is not None and user.is_authenticated else ""
    return f"by={name!r} address={client_ip(request)}"


@receiver(user_logged_in, dispatch_uid="security.signed_in")
def _signed_in(sender, request, user, **kwargs):
    address = client_ip(request) if request is not None else ""
    security_log.info(
        "sign-in succeeded username=%r address=%s", user.username, address
    )


@receiver(user_login_failed, dispatch_uid="security.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the name
    # is logged anyway.
    username = str(credentials.get("username", ""))[:150]
    address = client_ip(request) if request is not None else ""
    security_log.warning("sign-in failed username=%r address=%s", username, address)


@receiver(user_logged_out, dispatch_uid="security.signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is None:
        return
    address = client_ip(request) if request is not None else ""
    security_log.info("sign-out username=%r address=%s", user.username, address)


@receiver(post_init, sender=User, dispatch_uid="security.remember_flags")
def _remember_flags(sender, instance, **kwargs):
    # Read from __dict__: a deferred field must not cost a query here.
    instance._security_flags = {flag: instance.__dict__.get(flag) for flag in _FLAGS}


@receiver(post_save, sender=User, dispatch_uid="security.user_saved")
def _user_saved(sender, instance, created, **kwargs):
    if created:
        granted = [
            flag for flag in ("is_staff", "is_superuser") if instance.__dict__.get(flag)
        ]
        if granted:
            security_log.warning(
                "account created username=%r with %s %s",
                instance.username,
                " ".join(f"{flag}=True" for flag in granted),
                _actor(),
            )
        _remember_flags(sender, instance)
        return
    # set_password() keeps the raw password in _password until save() has
    # told the validators; that is how a change is seen without a query.
    if getattr(instance, "_password", None) is not None:
        security_log.warning(
            "password changed username=%r %s", instance.username, _actor()
        )
    before = getattr(instance, "_security_flags", {})
    for flag in _FLAGS:
        old, new = before.get(flag), instance.__dict__.get(flag)
        if old is not None and new is not None and old != new:
            security_log.warning(
                "role changed username=%r %s=%s (was %s) %s",
                instance.username,
                flag,
                new,
                old,
                _actor(),
            )
    _remember_flags(sender, instance)


def _names(model, pks) -> list[str]:
    return sorted(str(name) for name in model.objects.filter(pk__in=pks))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="security.groups")
@receiver(
    m2m_changed,
    sender=User.user_permissions.through,
    dispatch_uid="security.permissions",
)
def _memberships_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Log groups or permissions given or taken, from either side."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    what = "groups" if sender is User.groups.through else "permissions"
    field = "groups" if what == "groups" else "user_permissions"
    verb = {"post_add": "added", "post_remove": "removed", "pre_clear": "cleared"}[
        action
    ]
    if not reverse:
        # user.groups.add(group): instance is the user, pk_set the groups.
        if action == "pre_clear":
            names = sorted(str(item) for item in getattr(instance, field).all())
        else:
            names = _names(model, pk_set or ())
        if names:
            security_log.warning(
                "role changed username=%r %s %s=%r %s",
                instance.username,
                verb,
                what,
                names,
                _actor(),
            )
        return
    # group.user_set.add(user): instance is the group, pk_set the users.
    if action == "pre_clear":
        users = list(instance.user_set.values_list("username", flat=True))
    else:
        users = list(
            User.objects.filter(pk__in=pk_set or ()).values_list("username", flat=True)
        )
    for username in sorted(users):
        security_log.warning(
            "role changed username=%r %s %s=%r %s",
            username,
            verb,
            what,
            [str(instance)],
            _actor(),
        )


def connect_moderation() -> None:
    """Log every moderation decision as it is written to the audit log."""
    from moderation.models import AuditEntry

    def _decision(sender, instance, created, **kwargs):
        if not created:
            return
        actor = instance.actor.username if instance.actor_id else "system"
        reader = instance.reader.username if instance.reader_id else ""
        security_log.info(
            "moderation action=%s actor=%r comment=%s reader=%r entry=%s",
            instance.action,
            actor,
            instance.comment_id or "",
            reader,
            instance.pk,
        )

    post_save.connect(
        _decision, sender=AuditEntry, weak=False, dispatch_uid="security.moderation"
    )
