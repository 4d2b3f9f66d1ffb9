import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import privacy
from conftest import PASSWORD
from discussion import actions
from discussion.models import Comment, CommentRevision, Vote
from moderation.models import Report
from newsroom.models import Article, Section

DATA_URL = reverse("accounts-data")
DELETE_URL = reverse("accounts-delete")


@pytest.fixture
def article(db):
    section = Section.objects.create(name="Politics", slug="politics")
    return Article.objects.create(
        title="Proposal for joint operations is not discussed.",
        slug="joint-operations",
        body="Text.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def other_article(article):
    return Article.objects.create(
        title="Tanks of the future",
        slug="tanks-of-the-future",
        body="Text.",
        section=article.section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def _comment(article, author, number, **extra):
    """Insert a top-level comment and count it on the article, like posting."""
    comment = Comment.objects.create(
        article=article,
        author=author,
        number=str(number),
        path=f"{number:06d}",
        body=extra.pop("body", f"Comment {number}"),
        body_html=f"<p>Comment {number}</p>",
        created_at=timezone.now() - timedelta(minutes=100 - number),
        **extra,
    )
    if comment.status == Comment.Status.PUBLISHED:
        Article.objects.filter(pk=article.pk).update(
            comment_count=F("comment_count") + 1,
            comment_counter=max(number, article.comment_counter),
        )
    return comment


def _fresh(obj):
    obj.refresh_from_db()
    return obj


def _export(client):
    response = client.post(DATA_URL)
    assert response.status_code == 200
    return response, json.loads(response.content)


# Download my data ----------------------------------------------------------


def test_it_shows_what_the_download_contains(client, alice):
    client.force_login(alice)

    response = client.get(DATA_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Download your data</h1>" in html
    assert f'action="{DATA_URL}"' in html
    assert 'method="post"' in html
    assert "no-store" in response["Cache-Control"]


def test_it_downloads_the_readers_data_as_a_json_file(
    client, alice, bob, maude, article
):
    alice.bio = "Retired artillery officer."
    alice.location = "Kazan"
    alice.reputation = 12
    alice.premoderated = True
    alice.save()
    mine = _comment(article, alice, 1, body="My *first* comment")
    CommentRevision.objects.create(
        comment=mine, body="My frist comment", created_at=mine.created_at
    )
    theirs = _comment(article, bob, 2, body="Bob's secret-free comment")
    Vote.objects.create(comment=theirs, user=alice, value=-1)
    Vote.objects.create(comment=mine, user=bob, value=1)
    Report.objects.create(
        comment=theirs,
        reporter=alice,
        reason=Report.Reason.SPAM,
        detail="Sells tanks.",
        status=Report.Status.DISMISSED,
        resolved_by=maude,
    )
    Report.objects.create(comment=mine, reporter=bob, reason=Report.Reason.ABUSE)
    client.force_login(alice)

    response, data = _export(client)

    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="tribune-data-alice.json"'
    )
    assert "no-store" in response["Cache-Control"]
    account = data["account"]
    assert account["username"] == "alice"
    assert account["email"] == "alice@example.org"
    assert account["bio"] == "Retired artillery officer."
    assert account["location"] == "Kazan"
    assert account["reputation"] == 12
    assert account["rank"] == alice.rank
    assert account["joined"].startswith(str(alice.date_joined.year))
    assert account["moderation"]["premoderated"] is True
    assert [c["number"] for c in data["comments"]] == ["1"]
    comment = data["comments"][0]
    assert comment["body"] == "My *first* comment"
    assert comment["status"] == "published"
    assert comment["article"]["title"] == article.title
    assert comment["article"]["url"].endswith(article.get_absolute_url())
    assert comment["url"].endswith(mine.get_absolute_url())
    assert [r["body"] for r in comment["earlier_versions"]] == ["My frist comment"]
    assert data["votes"] == [
        {
            "comment": data["votes"][0]["comment"],
            "value": -1,
            "when": data["votes"][0]["when"],
        }
    ]
    assert data["votes"][0]["comment"].endswith(theirs.get_absolute_url())
    assert len(data["reports"]) == 1
    report = data["reports"][0]
    assert report["comment"].endswith(theirs.get_absolute_url())
    assert (report["reason"], report["detail"], report["status"]) == (
        "spam",
        "Sells tanks.",
        "dismissed",
    )
    # Nothing of other readers: not their emails, bodies, votes, reports or
    # the moderator who handled the report; and no password hash.
    raw = response.content.decode()
    for private in (
        "bob@example.org",
        "maude@example.org",
        "Bob's secret-free comment",
        "maude",
        "abuse",
        alice.password,
        "pbkdf2",
        "md5$",
    ):
        assert private not in raw


def test_it_names_the_file_after_a_non_ascii_username(client, django_user_model):
    reader = django_user_model.objects.create_user(
        username="Волга", email="volga@example.org", password=PASSWORD
    )
    client.force_login(reader)

    response, data = _export(client)

    assert data["account"]["username"] == "Волга"
    assert "filename*=utf-8''tribune-data-" in response["Content-Disposition"]


def test_the_download_runs_the_same_queries_for_1_and_20_comments(
    client, alice, bob, article
):
    def add(start, count):
        for n in range(start, start + count):
            mine = _comment(article, alice, 2 * n)
            CommentRevision.objects.create(
                comment=mine, body="earlier", created_at=mine.created_at
            )
            theirs = _comment(article, bob, 2 * n + 1)
            Vote.objects.create(comment=theirs, user=alice, value=1)
            Report.objects.create(comment=theirs, reporter=alice, reason="spam")

    def download():
        with CaptureQueriesContext(connection) as queries:
            _, data = _export(client)
        return len(queries), data

    client.force_login(alice)
    client.get(DATA_URL)  # warm the session
    add(1, 1)
    one, _ = download()
    add(2, 19)
    twenty, data = download()

    assert [len(data[key]) for key in ("comments", "votes", "reports")] == [20] * 3
    assert sum(len(c["earlier_versions"]) for c in data["comments"]) == 20
    assert one == twenty


def test_the_export_runs_the_same_queries_for_1_and_20_comments(
    alice, bob, article, other_article
):
    def queries_for(count, start):
        for n in range(start, start + count):
            _comment(other_article if n % 2 else article, alice, n)
            theirs = _comment(article, bob, 1000 + n)
            Vote.objects.create(comment=theirs, user=alice, value=1)
        with CaptureQueriesContext(connection) as queries:
            privacy.export_user_data(alice)
        return len(queries)

    one = queries_for(1, 1)
    twenty = queries_for(19, 2)

    assert one == twenty == 4


def test_it_does_not_download_on_a_wrong_method(client, alice):
    client.force_login(alice)

    assert client.put(DATA_URL).status_code == 405


def test_it_sends_anonymous_visitors_to_sign_in(client):
    for response in (client.get(DATA_URL), client.post(DATA_URL)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts-signin"))


def test_the_download_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(DATA_URL)

    assert response.status_code == 403
    assert "attachment" not in response.get("Content-Disposition", "")


# Delete my account ---------------------------------------------------------


def test_it_asks_for_the_password_before_deleting(client, alice):
    client.force_login(alice)

    response = client.get(DELETE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Delete your account</h1>" in html
    assert 'type="password"' in html
    assert 'name="password"' in html
    assert "deleted account" in html
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_it_deletes_the_account_and_keeps_the_comments(
    client, alice, bob, article, caplog
):
    first = _comment(article, alice, 1)
    reply = Comment.objects.create(
        article=article,
        parent=first,
        author=bob,
        number="1.1",
        path="000001.000001",
        depth=1,
        body="A reply",
        body_html="<p>A reply</p>",
        created_at=timezone.now(),
    )
    second = _comment(article, alice, 2)
    version = _fresh(article).thread_version
    client.force_login(alice)

    with caplog.at_level("INFO", logger="tribune.security"):
        response = client.post(DELETE_URL, {"password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("newsroom-front")
    assert "Your account is deleted" in response.content.decode()
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not response.wsgi_request.user.is_authenticated
    assert any("account deleted" in r.getMessage() for r in caplog.records)
    first.refresh_from_db()
    second.refresh_from_db()
    reply.refresh_from_db()
    assert (first.author, first.number, first.status) == (None, "1", "published")
    assert (second.author, second.number) == (None, "2")
    assert (reply.author, reply.number, reply.parent_id) == (bob, "1.1", first.pk)
    article.refresh_from_db()
    assert article.comment_count == 2
    assert article.thread_version > version

    page = client.get(article.get_absolute_url()).content.decode()
    assert page.count("deleted account") == 2
    assert ">alice<" not in page
    assert "Comment 1" in page and "Comment 2" in page


def test_it_can_remove_the_comments_instead(
    client, alice, bob, article, other_article, settings
):
    settings.TRIBUNE_DELETED_ACCOUNT_COMMENTS = "remove"
    mine = [
        _comment(article, alice, 1),
        _comment(article, alice, 2),
        _comment(article, alice, 3, status=Comment.Status.PENDING),
        _comment(article, alice, 4, status=Comment.Status.DELETED),
        _comment(other_article, alice, 1),
    ]
    kept = _comment(article, bob, 5)
    versions = {a.pk: _fresh(a).thread_version for a in (article, other_article)}
    assert (_fresh(article).comment_count, _fresh(other_article).comment_count) == (
        3,
        1,
    )
    client.force_login(alice)

    response = client.post(DELETE_URL, {"password": PASSWORD})

    assert response.status_code == 302
    statuses = [(_fresh(c).number, c.status, c.author) for c in mine]
    assert statuses == [
        ("1", "removed", None),
        ("2", "removed", None),
        ("3", "removed", None),
        ("4", "deleted", None),
        ("1", "removed", None),
    ]
    assert _fresh(kept).status == "published"
    for a in (article, other_article):
        a.refresh_from_db()
        assert a.thread_version > versions[a.pk]
    assert (article.comment_count, other_article.comment_count) == (1, 0)


def test_it_removes_the_comments_with_one_update_per_article(
    alice, article, other_article, settings
):
    settings.TRIBUNE_DELETED_ACCOUNT_COMMENTS = "remove"
    for n in range(1, 21):
        _comment(article if n % 2 else other_article, alice, n)

    with CaptureQueriesContext(connection) as queries:
        privacy.delete_account(alice)

    article_updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "newsroom_article"')
    ]
    # One per article for the counts; no other thread was touched, so no
    # UPDATE for those.
    assert len(article_updates) == 2
    assert (_fresh(article).comment_count, _fresh(other_article).comment_count) == (
        0,
        0,
    )


def test_it_withdraws_the_votes_the_reader_cast(client, alice, bob, mallory, article):
    bobs = _comment(article, bob, 1)
    bobs_other = _comment(article, bob, 2)
    mallorys = _comment(article, mallory, 3)
    alices = _comment(article, alice, 4)
    actions.cast_vote(comment=bobs, user=alice, value=1)
    actions.cast_vote(comment=bobs_other, user=alice, value=1)
    actions.cast_vote(comment=mallorys, user=alice, value=-1)
    actions.cast_vote(comment=bobs, user=mallory, value=1)
    actions.cast_vote(comment=alices, user=bob, value=1)
    assert (_fresh(bob).reputation, _fresh(mallory).reputation) == (3, -1)
    client.force_login(alice)

    client.post(DELETE_URL, {"password": PASSWORD})

    assert not Vote.objects.filter(user_id=alice.pk).exists()
    # Others' votes stay, on alice's comments too.
    assert Vote.objects.count() == 2
    bobs.refresh_from_db()
    bobs_other.refresh_from_db()
    mallorys.refresh_from_db()
    assert (bobs.score, bobs.upvotes, bobs.downvotes) == (1, 1, 0)
    assert (bobs_other.score, bobs_other.upvotes, bobs_other.downvotes) == (0, 0, 0)
    assert (mallorys.score, mallorys.upvotes, mallorys.downvotes) == (0, 0, 0)
    assert (_fresh(bob).reputation, _fresh(mallory).reputation) == (1, 0)


def test_a_wrong_password_deletes_nothing(client, alice, bob, article, caplog):
    mine = _comment(article, alice, 1)
    Vote.objects.create(comment=_comment(article, bob, 2), user=alice, value=1)
    client.force_login(alice)

    with caplog.at_level("WARNING", logger="tribune.security"):
        response = client.post(DELETE_URL, {"password": "not my password"})

    assert response.status_code == 200
    assert "That is not your password" in response.content.decode()
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    assert _fresh(mine).author == alice
    assert Vote.objects.filter(user=alice).count() == 1
    assert client.get(DATA_URL).wsgi_request.user == alice
    assert any("wrong password" in r.getMessage() for r in caplog.records)


def test_an_empty_password_deletes_nothing(client, alice):
    client.force_login(alice)

    response = client.post(DELETE_URL, {"password": ""})

    assert "Type your password" in response.content.decode()
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_wrong_passwords_are_throttled_like_sign_ins(client, alice, settings):
    settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT = 2
    client.force_login(alice)
    for _ in range(2):
        client.post(DELETE_URL, {"password": "guess"})

    response = client.post(DELETE_URL, {"password": PASSWORD})

    html = response.content.decode()
    assert "Too many wrong passwords" in html
    assert "That is not your password" not in html
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_deleting_sends_anonymous_visitors_to_sign_in(client, alice):
    for response in (
        client.get(DELETE_URL),
        client.post(DELETE_URL, {"password": PASSWORD}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts-signin"))
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_deleting_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(DELETE_URL, {"password": PASSWORD})

    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_deleting_refuses_other_methods(client, alice):
    client.force_login(alice)

    assert client.put(DELETE_URL).status_code == 405
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_the_profile_pages_link_to_both(client, alice, bob):
    client.force_login(alice)

    own = client.get(alice.get_absolute_url()).content.decode()
    edit = client.get(reverse("accounts-profile-edit")).content.decode()
    other = client.get(bob.get_absolute_url()).content.decode()

    for html in (own, edit):
        assert f'href="{DATA_URL}"' in html
        assert f'href="{DELETE_URL}"' in html
    assert DELETE_URL not in other


def test_the_setting_refuses_unknown_values(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import tribune.settings

    monkeypatch.setenv("TRIBUNE_DELETED_ACCOUNT_COMMENTS", "shred")
    with pytest.raises(ImproperlyConfigured):
        importlib.reload(tribune.settings)
    monkeypatch.delenv("TRIBUNE_DELETED_ACCOUNT_COMMENTS")
    importlib.reload(tribune.settings)
