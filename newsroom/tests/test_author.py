"""Author pages: the visible articles an author has a byline on."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Article, Author, Byline


@pytest.fixture
def ann(db):
    # An author with no account, as imported bylines are.
    return Author.objects.create(name="Ann Writer", slug="ann", bio="Covers Syria.")


def _article(section, slug, authors=(), *, hours_ago=1, **extra):
    article = Article.objects.create(
        title=extra.pop("title", slug.replace("-", " ").title()),
        slug=slug,
        body="Text.",
        section=section,
        status=extra.pop("status", Article.Status.PUBLISHED),
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    return article


def test_it_lists_an_authors_articles_without_an_account(client, section, ann):
    bo = Author.objects.create(name="Bo Other", slug="bo")
    _article(section, "older", [ann], hours_ago=9)
    _article(section, "joint", [bo, ann], hours_ago=2)
    _article(section, "not-hers", [bo], title="Not hers")

    response = client.get(reverse("newsroom-author", args=["ann"]))

    assert ann.user is None
    assert response.status_code == 200
    assert [a.slug for a in response.context["page"]] == ["joint", "older"]
    html = response.content.decode()
    assert "<h1>Ann Writer</h1>" in html
    assert '<p class="intro">Covers Syria.</p>' in html
    assert "Not hers" not in html
    # The joint article is listed with both names in byline order.
    assert html.index('href="/authors/bo/"') < html.index('href="/authors/ann/"')


def test_it_lists_an_authors_articles_with_an_account(client, section, eddie):
    author = Author.objects.create(name="Eddie Editor", slug="eddie", user=eddie)
    _article(section, "by-eddie", [author])

    response = client.get(author.get_absolute_url())

    assert [a.slug for a in response.context["page"]] == ["by-eddie"]


def test_it_hides_drafts_and_scheduled_articles(client, section, ann):
    _article(section, "shown", [ann])
    _article(section, "draft", [ann], status=Article.Status.DRAFT, title="Draft A")
    _article(
        section,
        "later",
        [ann],
        hours_ago=-5,
        status=Article.Status.SCHEDULED,
        title="Later A",
    )

    response = client.get(reverse("newsroom-author", args=["ann"]))

    assert [a.slug for a in response.context["page"]] == ["shown"]
    assert "Draft A" not in response.content.decode()
    assert "Later A" not in response.content.decode()


def test_it_is_404_for_an_unknown_author(client, ann):
    response = client.get(reverse("newsroom-author", args=["nobody"]))

    assert response.status_code == 404


def test_it_says_so_when_the_author_has_nothing_visible(client, section, ann):
    _article(section, "draft", [ann], status=Article.Status.DRAFT)

    response = client.get(reverse("newsroom-author", args=["ann"]))

    assert response.status_code == 200
    assert "No articles here yet." in response.content.decode()


def test_it_paginates(client, section, ann, settings):
    settings.ARTICLES_PER_PAGE = 1
    _article(section, "first", [ann], hours_ago=1)
    _article(section, "second", [ann], hours_ago=2)

    second = client.get(reverse("newsroom-author", args=["ann"]), {"page": 2})
    junk = client.get(reverse("newsroom-author", args=["ann"]), {"page": "9999"})

    assert [a.slug for a in second.context["page"]] == ["second"]
    assert [a.slug for a in junk.context["page"]] == ["second"]
