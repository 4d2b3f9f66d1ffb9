"""Whole anonymous article pages from the cache, expired by every change.

A process reads an article's version at most once a second, so a hit usually
costs no query, and a change made through another process shows within a
second.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussion import actions


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response, len(queries)


def test_it_serves_the_second_anonymous_request_from_the_cache(
    client, article, trusted_versions
):
    url = article.get_absolute_url()
    first, cold = get(client, url)
    second, warm = get(client, url)
    assert cold > 1
    assert warm == 0
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"]


def test_a_new_comment_expires_the_page(client, article, alice):
    url = article.get_absolute_url()
    client.get(url)
    actions.post_comment(article=article, author=alice, body="Fresh news")
    response, queries = get(client, url)
    assert queries > 1
    assert "Fresh news" in response.content.decode()


def test_a_vote_and_an_edit_expire_the_page(client, article, alice, bob):
    comment = actions.post_comment(article=article, author=alice, body="Original")
    url = article.get_absolute_url()
    client.get(url)
    actions.cast_vote(comment=comment, user=bob, value=1)
    assert 'title="1 point">+1</span>' in client.get(url).content.decode()
    actions.edit_comment(comment=comment, editor=alice, body="Corrected")
    assert "Corrected" in client.get(url).content.decode()


def test_editing_the_article_expires_the_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    article.title = "A better title"
    article.save()
    assert "A better title" in client.get(url).content.decode()


def test_the_site_mode_expires_every_page(client, article, maude):
    from moderation.actions import set_site_mode

    url = article.get_absolute_url()
    client.get(url)
    set_site_mode(actor=maude, read_only=True, premoderate_all=False, message="Paused.")
    assert "Paused." in client.get(url).content.decode()


def test_it_answers_304_from_the_cache(client, article, trusted_versions):
    url = article.get_absolute_url()
    etag = client.get(url)["ETag"]
    response, queries = get(client, url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert queries == 0


def test_readers_with_a_session_are_never_served_a_cached_page(client, article, alice):
    url = article.get_absolute_url()
    client.get(url)
    client.force_login(alice)
    response, queries = get(client, url)
    assert queries > 1
    assert 'name="body"' in response.content.decode()  # their comment form


def test_other_pages_and_queries_are_kept_apart(client, article, alice):
    url = article.get_absolute_url()
    actions.post_comment(article=article, author=alice, body="Hello there")
    client.get(url)
    best, queries = get(client, url + "?sort=best")
    assert queries > 1
    assert best.status_code == 200
    missing, _ = get(client, "/articles/no-such-article/")
    again, queries = get(client, "/articles/no-such-article/")
    assert (missing.status_code, again.status_code) == (404, 404)
    assert queries > 0  # errors are not cached


def test_a_change_made_by_another_process_is_seen_within_the_validator_time(
    client, article, alice, monkeypatch
):
    """Without Redis, another worker's write moves the version in the
    database; this process notices when it next reads the version, at most
    VALIDATOR_SECONDS later."""
    from django.utils import timezone

    from discussion.models import Comment
    from newsroom import pagecache
    from newsroom.models import Article

    clock = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    # Without Redis; with it, versions are shared (tests/scaleout proves it).
    monkeypatch.setattr(pagecache, "_shared", lambda: False)
    url = article.get_absolute_url()
    client.get(url)
    # As another process would: rows written, version bumped, nothing else.
    Comment.objects.create(
        article=article,
        author=alice,
        number="1",
        path="000001",
        body="From elsewhere",
        body_html="<p>From elsewhere</p>",
        created_at=timezone.now(),
    )
    Article.objects.filter(pk=article.pk).update(thread_version=99, comment_count=1)
    clock[0] += pagecache.VALIDATOR_SECONDS / 2
    assert "From elsewhere" not in client.get(url).content.decode()
    clock[0] += pagecache.VALIDATOR_SECONDS
    assert "From elsewhere" in client.get(url).content.decode()


def test_each_language_gets_its_own_copy_from_the_warm_cache(article, trusted_versions):
    """An English and a Russian visitor never get each other's cached page."""
    from django.conf import settings
    from django.test import Client

    url = article.get_absolute_url()
    english, russian, by_header = Client(), Client(), Client()
    russian.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    ru_header = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
    english.get(url)
    russian.get(url)
    by_header.get(url, **ru_header)

    english_page, english_queries = get(english, url)
    russian_page, russian_queries = get(russian, url)
    header_page, header_queries = get(by_header, url, **ru_header)

    assert (english_queries, russian_queries, header_queries) == (0, 0, 0)
    assert '<html lang="en">' in english_page.content.decode()
    assert "Sign in" in english_page.content.decode()
    for page in (russian_page, header_page):
        html = page.content.decode()
        assert '<html lang="ru">' in html
        assert "Войти" in html
        assert page["Content-Language"] == "ru"
    assert english_page["Content-Language"] == "en"
    vary = {part.strip() for part in russian_page["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary
    assert english_page["ETag"] != russian_page["ETag"]
