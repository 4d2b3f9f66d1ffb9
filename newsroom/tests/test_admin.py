"""Editors write articles in the Django admin; the form makes status and time agree."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.admin import ArticleForm
from newsroom.models import Article, Author, Byline, Source

ADD = reverse("admin:newsroom_article_add")


@pytest.fixture
def article(section):
    return Article.objects.create(
        title="Existing",
        slug="existing",
        body="Text.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def _form(section, **changes):
    data = {
        "title": "Joint operations",
        "slug": "joint-operations",
        "section": section.pk,
        "body": "Text.",
        "status": Article.Status.PUBLISHED,
        "published_at": "",
        "language": "en",
        "comments_open": "on",
    }
    data.update(changes)
    return ArticleForm(data=data)


def _when(delta):
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%d %H:%M:%S")


# --- ArticleForm ----------------------------------------------------------------


def test_it_schedules_a_published_article_with_a_future_time(section):
    form = _form(section, published_at=_when(timedelta(days=1)))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == Article.Status.SCHEDULED


def test_it_publishes_a_scheduled_article_whose_time_has_passed(section):
    form = _form(
        section,
        status=Article.Status.SCHEDULED,
        published_at=_when(-timedelta(hours=1)),
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == Article.Status.PUBLISHED


def test_it_refuses_a_scheduled_article_without_a_time(section):
    form = _form(section, status=Article.Status.SCHEDULED)

    assert not form.is_valid()
    assert form.errors["published_at"] == ["A scheduled article needs a time."]


def test_it_publishes_now_when_no_time_is_given(section):
    before = timezone.now()

    form = _form(section)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == Article.Status.PUBLISHED
    assert before <= form.cleaned_data["published_at"] <= timezone.now()
    article = form.save()
    assert article.is_visible


def test_it_leaves_a_draft_alone(section):
    form = _form(
        section, status=Article.Status.DRAFT, published_at=_when(timedelta(days=1))
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["status"] == Article.Status.DRAFT
    assert not form.save().is_visible


# --- the admin pages --------------------------------------------------------------


def test_it_opens_the_article_pages_for_an_editor(client, eddie, article):
    client.force_login(eddie)

    add = client.get(ADD)
    change = client.get(reverse("admin:newsroom_article_change", args=[article.pk]))
    listing = client.get(reverse("admin:newsroom_article_changelist"))

    assert add.status_code == 200
    assert "Save to preview." in add.content.decode()
    assert change.status_code == 200
    assert f'href="{reverse("newsroom-preview", args=["existing"])}"' in (
        change.content.decode()
    )
    assert listing.status_code == 200
    assert "Existing" in listing.content.decode()


def _post_data(section, **changes):
    when = changes.pop("when", None)
    data = {
        "title": "Joint operations",
        "slug": "joint-operations",
        "section": str(section.pk),
        "lead": "",
        "body": "First.\n\nSecond.",
        "status": Article.Status.PUBLISHED,
        "published_at_0": "",
        "published_at_1": "",
        "comments_open": "on",
        "language": "en",
        "byline_set-TOTAL_FORMS": "0",
        "byline_set-INITIAL_FORMS": "0",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
    }
    if when is not None:
        local = timezone.localtime(when)
        data["published_at_0"] = local.strftime("%Y-%m-%d")
        data["published_at_1"] = local.strftime("%H:%M:%S")
    data.update(changes)
    return data


def test_it_lets_an_editor_add_an_article_with_byline_and_source(
    client, eddie, section
):
    ann = Author.objects.create(name="Ann Writer", slug="ann")
    client.force_login(eddie)
    data = _post_data(
        section,
        **{
            "byline_set-TOTAL_FORMS": "1",
            "byline_set-0-author": str(ann.pk),
            "byline_set-0-role": "Observed and commented on",
            "byline_set-0-position": "0",
            "sources-TOTAL_FORMS": "1",
            "sources-0-title": "Kommersant",
            "sources-0-url": "https://kommersant.example/a",
            "sources-0-position": "0",
        },
    )

    response = client.post(ADD, data)

    assert response.status_code == 302
    article = Article.objects.get(slug="joint-operations")
    assert article.status == Article.Status.PUBLISHED
    assert article.is_visible
    assert '<p id="p-2">Second.</p>' in article.body_html
    assert Byline.objects.get(article=article).author == ann
    assert Source.objects.get(article=article).title == "Kommersant"


def test_it_saves_a_future_published_article_as_scheduled(client, eddie, section):
    client.force_login(eddie)

    response = client.post(
        ADD, _post_data(section, when=timezone.now() + timedelta(days=1))
    )

    assert response.status_code == 302
    article = Article.objects.get(slug="joint-operations")
    assert article.status == Article.Status.SCHEDULED
    assert client.get(article.get_absolute_url()).status_code == 404


def test_it_shows_the_error_for_a_scheduled_article_without_a_time(
    client, eddie, section
):
    client.force_login(eddie)

    response = client.post(ADD, _post_data(section, status=Article.Status.SCHEDULED))

    assert response.status_code == 200
    assert "A scheduled article needs a time." in response.content.decode()
    assert not Article.objects.exists()


def test_it_refuses_a_javascript_source_url(client, eddie, section):
    client.force_login(eddie)
    data = _post_data(
        section,
        **{
            "sources-TOTAL_FORMS": "1",
            "sources-0-title": "Trap",
            "sources-0-url": "javascript:alert(1)",
            "sources-0-position": "0",
        },
    )

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
    assert not Article.objects.exists()


def test_it_refuses_the_wrong_method_on_delete(client, eddie, article):
    client.force_login(eddie)
    url = reverse("admin:newsroom_article_delete", args=[article.pk])

    confirm = client.get(url)

    # GET only asks for confirmation; the article stays.
    assert confirm.status_code == 200
    assert Article.objects.filter(pk=article.pk).exists()


@pytest.mark.parametrize("who", ["maude", "alice"])
def test_it_keeps_non_staff_out_of_the_admin(client, request, article, who):
    client.force_login(request.getfixturevalue(who))

    index = client.get(reverse("admin:index"))
    add = client.post(ADD, _post_data(article.section, slug="sneaky"))

    assert index.status_code == 302
    assert index.url.startswith(reverse("admin:login"))
    assert add.status_code == 302
    assert not Article.objects.filter(slug="sneaky").exists()


def test_it_keeps_anonymous_visitors_out(client, article):
    response = client.get(reverse("admin:newsroom_article_change", args=[article.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_forbids_staff_without_the_editors_role(client, django_user_model, article):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(clerk)

    add = client.get(ADD)
    change = client.post(
        reverse("admin:newsroom_article_change", args=[article.pk]),
        _post_data(article.section, title="Defaced", slug="existing"),
    )

    assert add.status_code == 403
    assert change.status_code == 403
    article.refresh_from_db()
    assert article.title == "Existing"


def test_it_assumes_https_for_a_source_typed_without_a_scheme(client, eddie, section):
    client.force_login(eddie)
    data = _post_data(
        section,
        **{
            "sources-TOTAL_FORMS": "1",
            "sources-0-title": "Kommersant",
            "sources-0-url": "kommersant.example/a",
            "sources-0-position": "0",
        },
    )

    response = client.post(ADD, data)

    assert response.status_code == 302
    assert Source.objects.get().url == "https://kommersant.example/a"
