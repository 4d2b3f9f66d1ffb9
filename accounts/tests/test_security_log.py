"""Security events reach the "tribune.security" log, and secrets never do."""

import logging
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.security import RequestContextMiddleware
from conftest import PASSWORD

NEW_PASSWORD = "a brand new long passphrase"
WRONG_PASSWORD = "hunter2 wrong guess"


@pytest.fixture
def security_log(caplog):
    """The messages logged to tribune.security during the test."""
    caplog.set_level(logging.INFO, logger="tribune.security")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "tribune.security"]

    return messages


def _sign_in(client, username="alice", password=PASSWORD, **extra):
    return client.post(
        reverse("accounts-signin"),
        {"username": username, "password": password},
        **extra,
    )


def test_it_logs_sign_in_success_and_failure(client, alice, security_log):
    _sign_in(client, password=WRONG_PASSWORD, REMOTE_ADDR="198.51.100.4")
    _sign_in(client, REMOTE_ADDR="198.51.100.5")

    assert security_log() == [
        "sign-in failed username='alice' address=198.51.100.4",
        "sign-in succeeded username='alice' address=198.51.100.5",
    ]


def test_it_logs_a_failure_for_an_unknown_account(client, db, security_log):
    _sign_in(client, username="nobody")

    assert security_log() == ["sign-in failed username='nobody' address=127.0.0.1"]


def test_it_logs_a_throttled_attempt(client, alice, security_log, settings):
    settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT = 1
    _sign_in(client, password=WRONG_PASSWORD)

    _sign_in(client)

    assert security_log()[-1] == "sign-in throttled username='alice' address=127.0.0.1"


def test_it_logs_sign_in_through_the_admin(client, eddie, security_log):
    client.post(reverse("admin:login"), {"username": "eddie", "password": PASSWORD})

    assert "sign-in succeeded username='eddie' address=127.0.0.1" in security_log()


def test_it_logs_sign_out(client, alice, security_log):
    client.force_login(alice)
    security_log()  # force_login is a sign-in too

    client.post(reverse("accounts-signout"))

    assert security_log()[-1] == "sign-out username='alice' address=127.0.0.1"


def test_it_logs_sign_up(client, db, security_log):
    client.post(
        reverse("accounts-signup"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert security_log() == [
        "sign-up username='newcomer' address=127.0.0.1",
        "sign-in succeeded username='newcomer' address=127.0.0.1",
    ]


def test_it_logs_a_password_change_with_who_and_where(client, alice, security_log):
    client.force_login(alice)

    client.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert "password changed username='alice' by='alice' address=127.0.0.1" in (
        security_log()
    )


def test_it_logs_a_password_set_outside_a_request(alice, security_log):
    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert security_log() == ["password changed username='alice' by=system"]


def test_it_does_not_log_other_saves(alice, security_log):
    alice.bio = "Reads everything."
    alice.save()

    assert security_log() == []


def test_it_logs_groups_given_and_taken_from_either_side(bob, security_log):
    moderators = Group.objects.get(name="Moderators")

    bob.groups.add(moderators)
    moderators.user_set.remove(bob)
    bob.groups.add(moderators)
    bob.groups.clear()

    assert security_log() == [
        "role changed username='bob' added groups=['Moderators'] by=system",
        "role changed username='bob' removed groups=['Moderators'] by=system",
        "role changed username='bob' added groups=['Moderators'] by=system",
        "role changed username='bob' cleared groups=['Moderators'] by=system",
    ]


def test_it_logs_permissions_given(bob, security_log):
    permission = Permission.objects.get(codename="moderate_comment")

    bob.user_permissions.add(permission)

    [message] = security_log()
    assert message.startswith("role changed username='bob' added permissions=[")
    assert "moderate" in message.lower()


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser", "is_active"])
def test_it_logs_flag_changes(bob, flag, security_log):
    before = getattr(bob, flag)
    setattr(bob, flag, not before)
    bob.save()
    bob.save()  # saved again unchanged: nothing more

    assert security_log() == [
        f"role changed username='bob' {flag}={not before} (was {before}) by=system"
    ]


def test_it_logs_a_staff_or_superuser_account_created(django_user_model, security_log):
    django_user_model.objects.create_user("reader")
    django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)

    assert security_log() == [
        "account created username='root' with is_staff=True is_superuser=True by=system"
    ]


def test_a_change_made_before_the_first_save_is_not_a_change(db, security_log):
    from accounts.models import User

    reader = User(username="later", email="later@example.org")
    reader.is_staff = True
    reader.save()
    reader.bio = "Edits."
    reader.save()

    assert security_log() == [
        "account created username='later' with is_staff=True by=system"
    ]


def test_it_names_who_changed_a_role_during_a_request(bob, maude, security_log):
    request = RequestFactory().post("/admin/", REMOTE_ADDR="203.0.113.8")
    request.user = maude

    def view(request):
        bob.is_staff = True
        bob.save()
        return HttpResponse()

    RequestContextMiddleware(view)(request)

    assert security_log() == [
        "role changed username='bob' is_staff=True (was False) "
        "by='maude' address=203.0.113.8"
    ]


def test_loading_readers_costs_no_extra_query(alice, bob, django_assert_num_queries):
    from accounts.models import User

    with django_assert_num_queries(1):
        readers = list(User.objects.only("username"))
    assert len(readers) == 2


def test_it_logs_moderation_decisions(maude, alice, article, security_log):
    from discussion.actions import post_comment
    from moderation import actions

    comment = post_comment(article=article, author=alice, body="Words.")

    actions.remove_comment(actor=maude, comment=comment, reason="Off topic")
    actions.ban_reader(actor=maude, reader=alice, reason="Spam")

    moderation = [m for m in security_log() if m.startswith("moderation")]
    assert len(moderation) == 2
    assert moderation[0].startswith(
        f"moderation action=remove actor='maude' comment={comment.pk} reader="
    )
    assert moderation[1].startswith(
        "moderation action=ban actor='maude' comment= reader='alice'"
    )


def test_no_secret_is_ever_logged(alice, caplog, mailoutbox):
    """A whole session's life: every password, hash, token and key stays out."""
    caplog.set_level(logging.DEBUG)
    client = Client()
    secrets = {PASSWORD, WRONG_PASSWORD, NEW_PASSWORD}

    _sign_in(client, password=WRONG_PASSWORD)
    _sign_in(client)
    secrets.add(client.cookies["sessionid"].value)
    secrets.add(client.cookies["csrftoken"].value)
    client.post(
        reverse("accounts-password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    secrets.add(client.cookies["sessionid"].value)
    client.post(reverse("accounts-signout"))
    client.post(reverse("accounts-password-reset"), {"email": "alice@example.org"})
    link = re.search(r"/accounts/password/reset/(\S+)/(\S+)/", mailoutbox[0].body)
    secrets.add(link.group(2))
    alice.refresh_from_db()
    secrets.add(alice.password)
    secrets.add(alice.password.split("$")[-1])

    logged = [r.getMessage() for r in caplog.records if r.name.startswith("tribune")]
    assert any("password changed" in m for m in logged)
    for message in logged:
        for secret in secrets:
            assert secret not in message, message
