"""Editions of one article: a Russian original and its English translation.

They link to each other (hreflang), the translation says what it was
translated from, and both show one discussion, stored on the original.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussion import actions
from discussion.models import Comment
from newsroom.admin import ArticleForm
from newsroom.models import Article


def _article(section, slug, language, original=None, **extra):
    fields = {
        "status": Article.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(hours=1),
        **extra,
    }
    return Article.objects.create(
        title=f"Article {slug}",
        slug=slug,
        body="First paragraph of the text.\n\nSecond paragraph.",
        section=section,
        language=language,
        translation_of=original,
        **fields,
    )


@pytest.fixture
def original(section):
    return _article(section, "sovmestnye-operatsii", "ru")


@pytest.fixture
def translation(section, original):
    return _article(section, "joint-operations-en", "en", original)


def _html(client, article, **headers):
    response = client.get(article.get_absolute_url(), **headers)
    assert response.status_code == 200
    return response.content.decode()


# hreflang and the notice.


def test_both_editions_link_to_each_other(client, original, translation):
    ru = f"{settings.SITE_URL}/articles/{original.slug}/"
    en = f"{settings.SITE_URL}/articles/{translation.slug}/"
    for page in (original, translation):
        html = _html(client, page)
        assert f'<link rel="alternate" hreflang="ru" href="{ru}">' in html
        assert f'<link rel="alternate" hreflang="en" href="{en}">' in html
        assert f'<link rel="alternate" hreflang="x-default" href="{ru}">' in html


def test_an_article_without_editions_has_no_alternates(client, article):
    assert 'rel="alternate" hreflang' not in _html(client, article)


def test_a_draft_translation_is_not_linked(client, section, original):
    _article(section, "draft-en", "en", original, status=Article.Status.DRAFT)
    assert "hreflang" not in _html(client, original)


def test_publishing_a_translation_updates_the_originals_cached_page(
    client, section, original
):
    assert "hreflang" not in _html(client, original)  # now cached
    _article(section, "late-en", "en", original)
    assert 'hreflang="en"' in _html(client, original)


def test_the_translation_says_where_it_comes_from(client, original, translation):
    html = _html(client, translation)
    assert "Translated from Russian — " in html
    assert f'<a href="{original.get_absolute_url()}" hreflang="ru">' in html
    assert "read the original" in html
    assert "Translated from" not in _html(client, original)


def test_the_notice_is_in_the_readers_language(client, original, translation):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = _html(client, translation)
    assert "Перевод с русского" in html
    assert "читать оригинал" in html


# One discussion for both editions.


def test_a_comment_on_the_translation_joins_the_originals_thread(
    client, original, translation, alice, bob, no_rate_limit
):
    first = actions.post_comment(article=original, author=bob, body="Первый.")
    client.force_login(alice)
    response = client.post(
        reverse("discussion-post", args=[translation.slug]),
        {"body": "Second, from the English edition."},
    )

    comment = Comment.objects.get(body="Second, from the English edition.")
    assert comment.article_id == original.pk
    assert comment.number == "2"  # numbering shared with the original's
    # The reader stays on the edition they were reading.
    assert response.url == f"{translation.get_absolute_url()}#c2"
    for page in (original, translation):
        html = _html(client, page)
        assert 'id="c1"' in html and 'id="c2"' in html
        assert "Second, from the English edition." in html
        assert "2 comments" in html
    assert first.article_id == original.pk


def test_a_reply_on_the_original_shows_on_the_translation(
    client, original, translation, alice, bob, no_rate_limit
):
    client.force_login(alice)
    client.post(
        reverse("discussion-post", args=[translation.slug]), {"body": "From English"}
    )
    client.force_login(bob)
    client.post(
        reverse("discussion-post", args=[original.slug]),
        {"body": "Ответ из русской версии", "parent": "1"},
    )
    reply = Comment.objects.get(body="Ответ из русской версии")
    assert (reply.article_id, reply.number) == (original.pk, "1.1")
    assert "Ответ из русской версии" in _html(client, translation)


def test_the_reply_form_of_the_translation_finds_the_originals_comment(
    client, original, translation, alice, bob
):
    actions.post_comment(article=original, author=bob, body="Исходный")
    client.force_login(alice)
    response = client.get(reverse("discussion-reply", args=[translation.slug, "1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Исходный" in html
    assert f'action="/articles/{translation.slug}/comments/"' in html


def test_a_permalink_works_from_either_edition(client, original, translation, bob):
    actions.post_comment(article=original, author=bob, body="Permalinked")
    for page in (original, translation):
        response = client.get(reverse("discussion-comment", args=[page.slug, "1"]))
        assert response.status_code == 302
        assert response.url == f"{page.get_absolute_url()}#c1"
    missing = reverse("discussion-comment", args=[translation.slug, "9"])
    assert client.get(missing).status_code == 404


def test_live_updates_of_the_translation_count_the_shared_thread(
    client, original, translation, alice, bob, no_rate_limit
):
    shown = actions.post_comment(article=original, author=alice, body="Shown")
    actions.post_comment(article=original, author=bob, body="New on the original")
    response = client.get(
        reverse("discussion-live", args=[translation.slug]), {"after": shown.pk}
    )
    body = response.content.decode()
    assert '"count": 1' in body
    assert f'"url": "/articles/{translation.slug}/comments/2/"' in body


def test_a_comment_expires_both_editions_cached_pages(
    client, original, translation, alice
):
    _html(client, original)
    _html(client, translation)
    actions.post_comment(article=original, author=alice, body="Fresh")
    assert "Fresh" in _html(client, original)
    assert "Fresh" in _html(client, translation)
    assert "1 comment<" in _html(client, translation)


def test_the_translation_page_costs_what_an_original_costs(
    client, original, translation, article, alice, no_rate_limit
):
    """The original comes with the translation's query (a join), and the
    editions with the cached article block: no extra query per page."""
    for page in (article, translation):
        actions.post_comment(
            article=page.discussion_article, author=alice, body=f"On {page.slug}"
        )

    def cold(page):
        from django.core.cache import cache

        from newsroom.pagecache import forget

        cache.clear()
        forget()
        with CaptureQueriesContext(connection) as captured:
            _html(client, page)
        return len(captured)

    _html(client, article)
    plain = cold(article)
    # The translation runs one more: the editions, cached with the block.
    assert cold(translation) == plain + 1
    with CaptureQueriesContext(connection) as captured:
        _html(client, translation)
    assert len(captured) == 0


def test_the_front_page_shows_the_shared_count_without_more_queries(
    client, section, original, translation, alice
):
    actions.post_comment(article=original, author=alice, body="One")
    client.get(reverse("newsroom-front"))
    with CaptureQueriesContext(connection) as few:
        html = client.get(reverse("newsroom-front")).content.decode()
    assert html.count("1 comment<") == 4  # both editions, latest and by section
    for index in range(5):
        _article(section, f"more-{index}", "en", original)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("newsroom-front"))
    assert len(many) == len(few)


# Validation of translation_of.


def test_an_article_cannot_translate_itself(original):
    original.translation_of = original
    with pytest.raises(ValidationError) as raised:
        original.full_clean()
    assert "translation_of" in raised.value.message_dict


def test_a_translation_cannot_be_translated(section, original, translation):
    third = Article(
        title="Third",
        slug="third",
        body="x",
        section=section,
        language="ru",
        translation_of=translation,
    )
    with pytest.raises(ValidationError) as raised:
        third.full_clean()
    assert "choose its original" in str(raised.value.message_dict["translation_of"])


def test_an_original_with_translations_cannot_become_one(
    section, original, translation
):
    other = _article(section, "other", "en")
    original.translation_of = other
    with pytest.raises(ValidationError) as raised:
        original.full_clean()
    assert "translations of its own" in str(raised.value.message_dict)


def test_a_translation_needs_another_language(section, original):
    same = Article(title="Same", slug="same", body="x", section=section, language="ru")
    same.translation_of = original
    with pytest.raises(ValidationError) as raised:
        same.full_clean()
    assert "language" in raised.value.message_dict


def test_the_admin_form_refuses_a_bad_translation(section, original):
    form = ArticleForm(
        data={
            "title": "Same language",
            "slug": "same-language",
            "section": section.pk,
            "body": "Text.",
            "status": Article.Status.DRAFT,
            "published_at": "",
            "language": "ru",
            "translation_of": original.pk,
            "comments_open": "on",
        }
    )
    assert not form.is_valid()
    assert "language" in form.errors


def test_the_admin_form_links_a_good_translation(section, original):
    form = ArticleForm(
        data={
            "title": "In English",
            "slug": "in-english",
            "section": section.pk,
            "body": "Text.",
            "status": Article.Status.DRAFT,
            "published_at": "",
            "language": "en",
            "translation_of": original.pk,
            "comments_open": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.save().discussion_article == original
