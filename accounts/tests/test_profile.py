import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from discussion.models import Comment
from newsroom.models import Article, Section

XSS = "<img src=x onerror=alert(1)>"
EDIT_URL = reverse("accounts-profile-edit")


@pytest.fixture
def article(db):
    section = Section.objects.create(name="Armament", slug="armament")
    return Article.objects.create(
        title="Tanks of the future",
        slug="tanks-of-the-future",
        body="Text.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=1),
    )


def _comments(article, author, count, start=1, **extra):
    now = timezone.now()
    return Comment.objects.bulk_create(
        Comment(
            article=article,
            author=author,
            number=str(n),
            path=f"{n:06d}",
            body=f"Comment {n}",
            body_html=f"<p>Comment {n}</p>",
            created_at=now - timedelta(minutes=1000 - n),
            **extra,
        )
        for n in range(start, start + count)
    )


def _link(comment):
    try:
        return comment.get_absolute_url()
    except NoReverseMatch:
        return f"{comment.article.get_absolute_url()}#c{comment.number}"


def test_it_shows_the_readers_standing(client, alice, article):
    alice.reputation = 60
    alice.location = "Kazan"
    alice.bio = "Retired artillery officer."
    alice.save()
    _comments(article, alice, 3)

    response = client.get(alice.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>alice</h1>" in html
    assert "Sergeant" in html
    assert "60" in html
    assert "90 more for Sergeant Major" in html
    assert timezone.localtime(alice.date_joined).strftime("%Y") in html
    assert re.search(r"<dt>Comments</dt>\s*<dd>3</dd>", html)
    assert "Kazan" in html
    assert "Retired artillery officer." in html
    assert "Tanks of the future" in html
    assert "Imported from an archive" not in html


def test_it_finds_the_reader_in_any_case(client, alice):
    response = client.get(reverse("accounts-profile", args=["ALICE"]))

    assert response.status_code == 200
    assert response.context["reader"] == alice


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["Volga Cossack", "Волжский казак"])
def test_it_serves_spaced_and_cyrillic_names(client, django_user_model, username):
    reader = django_user_model.objects.create_user(username, "v@example.org", "x")

    exact = client.get(reader.get_absolute_url())
    other_case = client.get(reverse("accounts-profile", args=[username.upper()]))

    assert exact.status_code == 200
    assert other_case.status_code == 200
    assert other_case.context["reader"] == reader


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_reader(client):
    response = client.get(reverse("accounts-profile", args=["nobody"]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_it_shows_unclaimed_imported_accounts(client, django_user_model):
    imported = django_user_model(username="serge siberian", is_claimed=False)
    imported.set_unusable_password()
    imported.save()

    response = client.get(imported.get_absolute_url())

    assert response.status_code == 200
    assert "Imported from an archive; not yet claimed." in response.content.decode()


def test_it_lists_the_ten_newest_published_comments(client, alice, article):
    comments = _comments(article, alice, 12)
    Comment.objects.filter(number="12").update(status=Comment.Status.REMOVED)

    response = client.get(alice.get_absolute_url())

    shown = response.context["recent_comments"]
    assert [c.number for c in shown] == [str(n) for n in range(11, 1, -1)]
    assert response.context["comment_count"] == 11
    html = response.content.decode()
    assert f'href="{_link(comments[10])}"' in html
    assert "#12 on" not in html
    assert "#1 on" not in html


def test_it_hides_comments_on_unpublished_articles(client, alice, article):
    draft = Article.objects.create(
        title="Secret draft",
        slug="secret-draft",
        body="Text.",
        section=article.section,
        status=Article.Status.DRAFT,
    )
    _comments(draft, alice, 1)

    response = client.get(alice.get_absolute_url())

    assert "Secret draft" not in response.content.decode()
    assert response.context["comment_count"] == 0


def test_it_runs_the_same_queries_for_1_and_20_comments(
    client, alice, article, django_assert_num_queries
):
    _comments(article, alice, 1)
    client.get(alice.get_absolute_url())  # warm the Site cache
    with CaptureQueriesContext(connection) as one_comment:
        client.get(alice.get_absolute_url())
    _comments(article, alice, 19, start=2)

    with django_assert_num_queries(len(one_comment.captured_queries)):
        response = client.get(alice.get_absolute_url())

    assert len(response.context["recent_comments"]) == 10


def test_it_escapes_the_readers_own_words(client, alice):
    alice.bio = f"Hello\n\n{XSS}"
    alice.location = XSS
    alice.save()

    response = client.get(alice.get_absolute_url())

    html = response.content.decode()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_offers_an_edit_link_only_on_your_own_profile(client, alice, bob):
    client.force_login(alice)

    own = client.get(alice.get_absolute_url())
    other = client.get(bob.get_absolute_url())

    assert f'href="{EDIT_URL}"' in own.content.decode()
    assert f'href="{EDIT_URL}"' not in other.content.decode()


def test_it_offers_no_edit_link_to_anonymous_visitors(client, alice):
    response = client.get(alice.get_absolute_url())

    assert f'href="{EDIT_URL}"' not in response.content.decode()


# Editing one's own profile.


@pytest.mark.django_db
def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.post(EDIT_URL, {"bio": "x", "email": "x@example.org"})

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts-signin')}?next={EDIT_URL}"


def test_it_shows_the_edit_form(client, alice):
    client.force_login(alice)

    response = client.get(EDIT_URL)

    html = response.content.decode()
    assert "<h1>Edit your profile</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_bio">' in html
    assert 'value="alice@example.org"' in html


def test_it_saves_the_profile(client, alice):
    client.force_login(alice)

    response = client.post(
        EDIT_URL,
        {"bio": "From Tula.", "location": "Тула", "email": "Alice@New.example"},
    )

    assert response.status_code == 302
    assert response.url == alice.get_absolute_url()
    alice.refresh_from_db()
    assert (alice.bio, alice.location) == ("From Tula.", "Тула")
    assert alice.email == "Alice@new.example"
    assert "Your profile is saved." in client.get(response.url).content.decode()


def test_it_stores_markup_as_text_and_shows_it_escaped(client, alice):
    client.force_login(alice)

    client.post(EDIT_URL, {"bio": XSS, "location": XSS, "email": alice.email})

    alice.refresh_from_db()
    assert alice.bio == XSS
    html = client.get(alice.get_absolute_url()).content.decode()
    assert XSS not in html


def test_it_refuses_an_email_another_reader_uses(client, alice, bob):
    client.force_login(alice)

    response = client.post(
        EDIT_URL, {"bio": "Still me.", "location": "", "email": "BOB@example.org"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Another account already uses that email address." in html
    assert "Still me." in html
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"


def test_it_keeps_your_own_email_in_another_case(client, alice):
    client.force_login(alice)

    response = client.post(EDIT_URL, {"bio": "", "email": "ALICE@example.org"})

    assert response.status_code == 302


def test_it_requires_an_email(client, alice):
    client.force_login(alice)

    response = client.post(EDIT_URL, {"bio": "No address.", "email": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_it_refuses_other_methods(client, alice):
    client.force_login(alice)

    assert client.put(EDIT_URL).status_code == 405
