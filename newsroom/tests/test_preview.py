"""Editors preview any article, whatever its status, as readers will see it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article


@pytest.fixture
def draft(section):
    return Article.objects.create(
        title="Unfinished thoughts",
        slug="unfinished",
        body="First paragraph.\n\nSecond paragraph.",
        section=section,
    )


def _url(slug="unfinished"):
    return reverse("newsroom-preview", args=[slug])


def test_it_shows_a_draft_to_an_editor(client, eddie, draft):
    client.force_login(eddie)

    response = client.get(_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Unfinished thoughts</h1>" in html
    assert "Preview — status: Draft." in html
    assert '<p id="p-2">Second paragraph.</p>' in html


def test_it_tells_an_editor_when_readers_will_see_a_scheduled_article(
    client, eddie, section
):
    when = timezone.now() + timedelta(days=2)
    Article.objects.create(
        title="Coming soon",
        slug="soon",
        body="Text.",
        section=section,
        status=Article.Status.SCHEDULED,
        published_at=when,
    )
    client.force_login(eddie)

    response = client.get(_url("soon"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview — status: Scheduled, readers see it from" in html
    assert timezone.localtime(when).strftime("%H:%M") in html
    # Readers still get nothing.
    client.logout()
    assert client.get(reverse("newsroom-article", args=["soon"])).status_code == 404


@pytest.mark.parametrize("who", ["alice", "maude"])
def test_it_sends_a_non_staff_user_to_the_admin_sign_in(client, request, draft, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert "next=" in response.url


def test_it_sends_an_anonymous_visitor_to_the_admin_sign_in(client, draft):
    response = client.get(_url())

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={_url()}"


def test_it_is_404_for_staff_who_may_not_view_articles(
    client, django_user_model, draft
):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(clerk)

    assert client.get(_url()).status_code == 404

    clerk.user_permissions.add(Permission.objects.get(codename="view_article"))
    assert client.get(_url()).status_code == 200


def test_it_is_404_for_an_unknown_article(client, eddie, draft):
    client.force_login(eddie)

    assert client.get(_url("no-such-article")).status_code == 404
