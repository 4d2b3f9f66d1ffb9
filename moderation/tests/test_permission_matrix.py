"""Every role against every write, asserting what each may and may not do.

A write counts as allowed when its effect is in the database afterwards, and
refused when nothing changed. The pages' writes go through a signed-in
browser session; the API's (`_api_*`) through the role's own personal access
token (the anonymous visitor sends none).
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from api.actions import create_token
from api.models import AccessToken
from discussion import actions as discussion
from discussion.models import Comment, Vote
from moderation.models import Report, SiteMode, WordEntry
from newsroom.models import Article, ErrorReport

ROLES = ["anonymous", "reader", "banned", "trusted", "moderator", "editor", "admin"]


@pytest.fixture
def people(db, alice, bob, mallory, maude, eddie, django_user_model):
    trusted = django_user_model.objects.create_user("trudy", password="x" * 20)
    trusted.groups.add(Group.objects.get(name="Trusted readers"))
    admin = django_user_model.objects.create_superuser(
        "ada", "ada@example.org", "x" * 20
    )
    mallory.banned_at = timezone.now()
    mallory.save()
    return {
        "anonymous": None,
        "reader": alice,
        "banned": mallory,
        "trusted": trusted,
        "moderator": maude,
        "editor": eddie,
        "admin": admin,
    }


@pytest.fixture
def world(article, bob, settings):
    """Objects owned by bob, who is none of the roles."""
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    settings.TRIBUNE_LINKS_MIN_TRUST = 0
    theirs = discussion.post_comment(article=article, author=bob, body="Bob's view")
    pending = discussion.post_comment(article=article, author=bob, body="Held one")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)
    return {"article": article, "theirs": theirs, "pending": pending, "bob": bob}


def _post_comment(client, w):
    client.post(reverse("discussion-post", args=[w["article"].slug]), {"body": "New!"})
    return Comment.objects.filter(body="New!").exists()


def _reply(client, w):
    client.post(
        reverse("discussion-post", args=[w["article"].slug]),
        {"body": "A reply", "parent": w["theirs"].number},
    )
    return Comment.objects.filter(body="A reply").exists()


def _vote(client, w):
    client.post(reverse("discussion-vote", args=[w["theirs"].pk]), {"value": "1"})
    return Vote.objects.exists()


def _edit_theirs(client, w):
    client.post(reverse("discussion-edit", args=[w["theirs"].pk]), {"body": "Hijacked"})
    return Comment.objects.filter(body="Hijacked").exists()


def _delete_theirs(client, w):
    client.post(reverse("discussion-delete", args=[w["theirs"].pk]))
    return Comment.objects.filter(status=Comment.Status.DELETED).exists()


def _report(client, w):
    client.post(reverse("moderation-report", args=[w["theirs"].pk]), {"reason": "spam"})
    return Report.objects.exists()


def _report_error(client, w):
    client.post(
        reverse("newsroom-report-error", args=[w["article"].slug]),
        {"detail": "The date in paragraph two is wrong."},
    )
    return ErrorReport.objects.exists()


def _remove(client, w):
    client.post(
        reverse("moderation-decide", args=[w["theirs"].pk, "remove"]),
        {"reason_choice": "Spam or advertising"},
    )
    return Comment.objects.filter(status=Comment.Status.REMOVED).exists()


def _approve(client, w):
    client.post(reverse("moderation-decide", args=[w["pending"].pk, "approve"]))
    return not Comment.objects.filter(status=Comment.Status.PENDING).exists()


def _bulk(client, w):
    client.post(
        reverse("moderation-bulk"),
        {"action": "approve", "comment": [w["pending"].pk]},
    )
    return not Comment.objects.filter(status=Comment.Status.PENDING).exists()


def _ban(client, w):
    client.post(
        reverse("moderation-reader-action", args=[w["bob"].pk, "ban"]),
        {"text": "Abuse"},
    )
    w["bob"].refresh_from_db()
    return w["bob"].banned_at is not None


def _site_mode(client, w):
    client.post(reverse("moderation-site"), {"read_only": "on"})
    return SiteMode.objects.get(pk=1).read_only


def _words(client, w):
    client.post(
        reverse("moderation-words-add"), {"words": "fiddlesticks", "kind": "banned"}
    )
    return WordEntry.objects.exists()


def _publish_article(client, w):
    client.post(
        "/admin/newsroom/article/add/",
        {
            "title": "New piece",
            "slug": "new-piece",
            "section": w["article"].section_id,
            "body": "Text",
            "status": "published",
            "language": "en",
            "comments_open": "on",
            "byline_set-TOTAL_FORMS": "0",
            "byline_set-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    return Article.objects.filter(slug="new-piece").exists()


def _edit_article(client, w):
    article = w["article"]
    client.post(
        f"/admin/newsroom/article/{article.pk}/change/",
        {
            "title": "Changed title",
            "slug": article.slug,
            "section": article.section_id,
            "body": article.body,
            "status": "published",
            "published_at_0": (timezone.now() - timedelta(hours=1)).strftime(
                "%Y-%m-%d"
            ),
            "published_at_1": "00:00:00",
            "language": "en",
            "byline_set-TOTAL_FORMS": "0",
            "byline_set-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    return Article.objects.filter(title="Changed title").exists()


def _api(client, method: str, path: str, data=None):
    """Call the API as the signed-in person's program would: with a token."""
    user = client.session.get("_auth_user_id")
    headers = {}
    if user is not None:
        from accounts.models import User
        from api.actions import create_token

        _, token = create_token(user=User.objects.get(pk=user), name="matrix")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    # A fresh client: the token alone, not the session, says who calls.
    from django.test import Client

    api = Client(enforce_csrf_checks=True)
    body = {} if data is None else {"data": json.dumps(data)}
    return getattr(api, method)(
        f"/api/v1{path}", content_type="application/json", **body, **headers
    )


def _api_post_comment(client, w):
    _api(client, "post", f"/articles/{w['article'].slug}/comments", {"body": "Via API"})
    return Comment.objects.filter(body="Via API").exists()


def _api_reply(client, w):
    _api(
        client,
        "post",
        f"/articles/{w['article'].slug}/comments",
        {"body": "API reply", "parent": w["theirs"].number},
    )
    return Comment.objects.filter(body="API reply").exists()


def _api_vote(client, w):
    _api(client, "post", f"/comments/{w['theirs'].pk}/vote", {"value": 1})
    return Vote.objects.exists()


def _api_edit_theirs(client, w):
    _api(client, "patch", f"/comments/{w['theirs'].pk}", {"body": "Hijacked"})
    return Comment.objects.filter(body="Hijacked").exists()


def _api_delete_theirs(client, w):
    _api(client, "delete", f"/comments/{w['theirs'].pk}")
    return Comment.objects.filter(status=Comment.Status.DELETED).exists()


def _api_report(client, w):
    _api(client, "post", f"/comments/{w['theirs'].pk}/reports", {"reason": "spam"})
    return Report.objects.exists()


# The token pages (/api/tokens/): cookie-authenticated writes, so a signed-in
# browser session makes them, like the pages' other writes.


def _create_token(client, w):
    client.post(reverse("api-tokens"), {"name": "Matrix app"})
    return AccessToken.objects.filter(name="Matrix app").exists()


def _revoke_own_token(client, w):
    user = client.session.get("_auth_user_id")
    if user is None:
        # The anonymous visitor has no token of their own: try someone's.
        token, _ = create_token(user=w["bob"], name="Someone's app")
    else:
        token, _ = create_token(user=User.objects.get(pk=user), name="My app")
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    return token.revoked_at is not None


def _revoke_their_token(client, w):
    token, _ = create_token(user=w["bob"], name="Bob's app")
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    return token.revoked_at is not None


SIGNED_IN = {"reader", "banned", "trusted", "moderator", "editor", "admin"}
WRITERS = SIGNED_IN - {"banned"}
MODERATORS = {"moderator", "admin"}
EDITORS = {"editor", "admin"}

MATRIX = {
    _post_comment: WRITERS,
    _reply: WRITERS,
    _vote: WRITERS,
    _edit_theirs: set(),
    _delete_theirs: set(),
    _report: WRITERS,
    _report_error: SIGNED_IN,
    _remove: MODERATORS,
    _approve: MODERATORS,
    _bulk: MODERATORS,
    _ban: MODERATORS,
    _site_mode: MODERATORS,
    _words: MODERATORS,
    _publish_article: EDITORS,
    _edit_article: EDITORS,
    _api_post_comment: WRITERS,
    _api_reply: WRITERS,
    _api_vote: WRITERS,
    _api_edit_theirs: set(),
    _api_delete_theirs: set(),
    _api_report: WRITERS,
    # A banned reader may still make and revoke tokens: the API refuses their
    # writes anyway, and reading is open to them as on the pages.
    _create_token: SIGNED_IN,
    _revoke_own_token: SIGNED_IN,
    # Nobody revokes another reader's token through the page, admins
    # included: they revoke tokens in the admin (api.admin).
    _revoke_their_token: set(),
}

CASES = [
    pytest.param(role, write, role in allowed, id=f"{role}-{write.__name__[1:]}")
    for write, allowed in MATRIX.items()
    for role in ROLES
]


@pytest.mark.parametrize(("role", "write", "allowed"), CASES)
def test_permission_matrix(client, people, world, role, write, allowed):
    person = people[role]
    if person is not None:
        client.force_login(person)
    assert write(client, world) is allowed


def test_the_matrix_covers_every_role_and_write():
    assert len(CASES) == len(ROLES) * len(MATRIX) == 168
