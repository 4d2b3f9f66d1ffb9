import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import actions
from notifications.context_processors import unread
from notifications.models import Follow, Notification, Preference
from notifications.tests.conftest import say

pytestmark = pytest.mark.urls("notifications.tests.urls")

LIST = "/notifications/"


@pytest.fixture
def notified(article, alice, bob):
    """alice has two entries (one read), bob one."""
    actions.follow(alice, article)
    actions.follow(bob, article)
    actions.comment_published(say(article, bob, "For alice, from bob"))
    actions.comment_published(say(article, None, "For both, from nobody"))
    oldest = Notification.objects.filter(recipient=alice).last()
    actions.mark_read(alice, [oldest.pk])
    return Notification.objects.filter(recipient=alice)


@pytest.mark.parametrize(
    "url", [LIST, "/notifications/settings/", "/notifications/read/"]
)
def test_it_sends_anonymous_visitors_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-signin"))


def test_it_lists_the_readers_notifications_newest_first(client, alice, notified):
    client.force_login(alice)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    entries = list(response.context["page"])
    assert entries == list(notified.order_by("-created_at", "-id"))
    assert [entry.read_at is None for entry in entries] == [True, False]
    assert page.count('class="notification unread"') == 1
    for entry in entries:
        assert f'href="{entry.comment.get_absolute_url()}"' in page
    assert "bob commented" in page
    assert "Mark all read" in page


def test_it_never_shows_another_readers_notifications(client, bob, notified):
    client.force_login(bob)
    response = client.get(LIST)
    entries = list(response.context["page"])
    assert entries
    assert all(entry.recipient_id == bob.pk for entry in entries)


def test_it_lists_in_a_fixed_number_of_queries(client, article, alice, bob):
    actions.follow(alice, article)
    client.force_login(alice)
    client.get(LIST)  # the site and session caches warm up
    counts = []
    for _ in range(2):
        for _ in range(5):
            actions.comment_published(say(article, bob))
        with CaptureQueriesContext(connection) as captured:
            client.get(LIST)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_it_shows_a_warning(client, alice):
    actions.reader_warned(alice, "Keep it civil.")
    client.force_login(alice)
    assert "Keep it civil." in client.get(LIST).content.decode()


def test_it_marks_all_read_by_post(client, alice, bob, notified):
    client.force_login(alice)
    assert client.get("/notifications/read/").status_code == 405
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at=None).exists()
    assert Notification.objects.filter(recipient=bob, read_at=None).exists()


def test_it_marks_one_read_and_ignores_others_ids(client, alice, bob, notified):
    bobs = Notification.objects.get(recipient=bob)
    client.force_login(alice)
    client.post("/notifications/read/", {"id": [bobs.pk, "x"]})
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_it_needs_a_csrf_token_to_mark_read(alice, notified):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/notifications/read/").status_code == 403
    assert Notification.objects.filter(recipient=alice, read_at=None).exists()


def test_it_saves_preferences(client, alice):
    client.force_login(alice)
    page = client.get("/notifications/settings/").content.decode()
    assert "moderator_digest" not in page
    response = client.post(
        "/notifications/settings/",
        {"email_replies": "daily", "email_follows": "off", "moderator_digest": "on"},
    )
    assert response.status_code == 302
    preference = Preference.objects.get(user=alice)
    assert (preference.email_replies, preference.email_follows) == ("daily", "off")
    # Not a moderator: the field is not theirs to change.
    assert preference.moderator_digest is True


def test_it_refuses_a_bad_preference(client, alice):
    client.force_login(alice)
    response = client.post(
        "/notifications/settings/", {"email_replies": "hourly", "email_follows": "off"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Preference.objects.exists()


def test_it_lets_moderators_turn_the_digest_off(client, maude):
    client.force_login(maude)
    assert "moderator_digest" in client.get("/notifications/settings/").content.decode()
    client.post(
        "/notifications/settings/",
        {"email_replies": "immediately", "email_follows": "daily"},
    )
    assert Preference.objects.get(user=maude).moderator_digest is False


def follow_url(article):
    return reverse("notifications-follow", args=[article.pk])


def test_it_toggles_following_by_post_only(client, article, alice):
    client.force_login(alice)
    assert client.get(follow_url(article)).status_code == 405
    response = client.post(follow_url(article))
    assert response.status_code == 302
    assert response.url == article.get_absolute_url()
    assert Follow.objects.filter(user=alice, article=article).exists()
    client.post(follow_url(article))
    assert not Follow.objects.exists()


def test_it_returns_the_button_to_htmx(client, article, alice):
    client.force_login(alice)
    response = client.post(follow_url(article), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Stop following new comments" in response.content.decode()
    response = client.post(follow_url(article), HTTP_HX_REQUEST="true")
    assert "Follow new comments" in response.content.decode()


def test_it_sends_anonymous_followers_to_sign_in(client, article):
    response = client.post(follow_url(article))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-signin"))
    response = client.post(follow_url(article), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("accounts-signin"))
    assert not Follow.objects.exists()


def test_it_will_not_follow_a_draft(client, article, alice):
    article.status = article.Status.DRAFT
    article.save()
    client.force_login(alice)
    assert client.post(follow_url(article)).status_code == 404


def test_it_counts_unread_lazily_in_one_query(alice, bob, notified):
    request = RequestFactory().get("/")
    request.user = alice
    with CaptureQueriesContext(connection) as captured:
        context = unread(request)
    assert len(captured) == 0
    with CaptureQueriesContext(connection) as captured:
        assert context["unread_notifications"]() == 1
        assert context["unread_notifications"]() == 1
    assert len(captured) == 1


def test_it_counts_nothing_for_visitors(db):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as captured:
        assert unread(request) == {"unread_notifications": 0}
    assert len(captured) == 0


def test_it_renders_the_follow_button_tag(rf, article, alice):
    from django.template import Context, Template

    actions.follow(alice, article)
    request = rf.get("/")
    request.user = alice
    html = Template("{% load notification_tags %}{% follow_button article %}").render(
        Context({"request": request, "article": article})
    )
    assert "Stop following new comments" in html
    assert f'action="{follow_url(article)}"' in html
