"""The article page with its thread: what readers see and what it costs."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussion import actions
from discussion.models import Comment
from discussion.tests.conftest import make_comments
from newsroom.pagecache import forget


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("signed_in", [False, True])
def test_it_runs_the_same_queries_for_10_and_1000_comments(
    client, article, section, alice, bob, signed_in, trusted_versions
):
    from newsroom.models import Article

    big = Article.objects.create(
        title="Big",
        slug="big",
        body=article.body,
        section=section,
        status=article.status,
        published_at=article.published_at,
    )
    small_rows = make_comments(article, [alice, bob], 10)
    big_rows = make_comments(big, [alice, bob], 1000)
    assert len(small_rows) == 10
    assert len(big_rows) == 1000
    if signed_in:
        client.force_login(alice)
        # Votes and editable comments are part of a reader's page.
        actions.cast_vote(comment=small_rows[1], user=alice, value=1)
        actions.cast_vote(comment=big_rows[1], user=alice, value=1)
    client.get(article.get_absolute_url())  # the Site lookup is cached after this

    def cold(url):
        cache.clear()  # the rendered thread and the site mode
        forget()  # the article versions this process remembers
        return queries_for(client, url)

    small = cold(article.get_absolute_url())
    large = cold(big.get_absolute_url())
    # A thread whose top-level comments fit in one part is read with its text
    # in one query; a longer one reads its shape, then the part's text.
    article.refresh_from_db()
    big.refresh_from_db()
    assert article.comment_counter <= settings.TRIBUNE_THREAD_PAGE_SIZE
    assert big.comment_counter > settings.TRIBUNE_THREAD_PAGE_SIZE
    assert small == large - 1
    # Anonymous: the validator (ETag), article, bylines, tags, sources, site
    # mode, the thread's shape and the text of the part shown. A reader has no
    # validator, and adds the session, the user, the moderation permission,
    # and one query for their own comments (pending, editable), votes, unread
    # notifications and following.
    assert large == (11 if signed_in else 8)
    # Warm, an anonymous reader gets the whole page from the cache (the
    # article's version was read less than a second ago); a signed-in
    # reader's page takes the thread, the site mode and the article's bylines,
    # tags and sources from it.
    warm = queries_for(client, big.get_absolute_url())
    # With Redis, sessions are read from the cache (cached_db): one fewer.
    session = 1 if settings.SESSION_ENGINE.endswith("cached_db") else 0
    assert warm == (large - 6 - session if signed_in else 0)


def test_it_shows_numbers_authors_and_nesting(client, article, alice, bob, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    first = actions.post_comment(article=article, author=alice, body="Top one")
    actions.post_comment(article=article, author=bob, body="Second top")
    actions.post_comment(article=article, author=bob, body="A reply", parent=first)
    page = client.get(article.get_absolute_url()).content.decode()
    assert page.index('id="c1"') < page.index('id="c1.1"') < page.index('id="c2"')
    # 1.1 sits in a replies list inside comment 1's item.
    between = page[page.index('id="c1"') : page.index('id="c1.1"')]
    assert '<ol class="replies">' in between
    assert "</li>" not in between
    assert 'href="/accounts/readers/bob/"' in page
    assert "Private" in page  # rank beside the name


def test_it_shows_the_sign_in_prompt_to_visitors(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert "to leave comments on the publication, you must" in page
    assert "/accounts/signin/?next=/articles/joint-operations/" in page
    assert 'name="body"' not in page


def test_it_shows_the_form_to_readers(client, article, alice):
    client.force_login(alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'name="body"' in page
    assert 'name="client_token"' in page
    assert "you must" not in page


def test_it_says_when_comments_are_closed(client, article, alice):
    article.comments_open = False
    article.save()
    client.force_login(alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Comments on this article are closed." in page
    assert 'name="body"' not in page


def test_it_sorts_by_best_and_newest(client, article, alice, bob, no_rate_limit):
    one = actions.post_comment(article=article, author=alice, body="one")
    two = actions.post_comment(article=article, author=alice, body="two")
    actions.post_comment(article=article, author=alice, body="reply", parent=one)
    actions.cast_vote(comment=two, user=bob, value=1)
    best = client.get(article.get_absolute_url() + "?sort=best").content.decode()
    assert best.index('id="c2"') < best.index('id="c1"') < best.index('id="c1.1"')
    newest = client.get(article.get_absolute_url() + "?sort=newest").content.decode()
    assert newest.index('id="c2"') < newest.index('id="c1"')
    junk = client.get(article.get_absolute_url() + "?sort=<x>").content.decode()
    assert junk.index('id="c1"') < junk.index('id="c2"')


def test_it_prefills_the_form_with_an_article_passage(client, article, alice):
    client.force_login(alice)
    page = client.get(article.get_absolute_url() + "?quote=p-2").content.decode()
    assert "&gt; Noble Americans are fighting" in page


def test_it_shows_pending_comments_only_to_their_author(client, article, alice, bob):
    comment = actions.post_comment(article=article, author=alice, body="Held back")
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.PENDING)
    assert "Held back" not in client.get(article.get_absolute_url()).content.decode()
    client.force_login(alice)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Held back" in page
    assert "awaiting review" in page


def test_it_shows_a_placeholder_for_a_removed_comment(client, article, alice):
    comment = actions.post_comment(article=article, author=alice, body="Abuse")
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Comment removed by a moderator." in page
    assert "Abuse" not in page


def test_it_redirects_a_permalink_to_the_number(client, article, alice):
    actions.post_comment(article=article, author=alice, body="Hi")
    response = client.get(f"/articles/{article.slug}/comments/1/")
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#c1"
    assert client.get(f"/articles/{article.slug}/comments/99/").status_code == 404


def test_it_prefills_a_reply_with_a_quote_of_the_parent(client, article, alice, bob):
    actions.post_comment(article=article, author=alice, body="In a word, partners")
    client.force_login(bob)
    response = client.get(f"/articles/{article.slug}/comments/1/reply/?quote=1")
    content = response.content.decode()
    assert "&gt; In a word, partners" in content
    assert 'name="parent" value="1"' in content


def test_it_sends_a_visitor_to_sign_in_before_replying(client, article, alice):
    actions.post_comment(article=article, author=alice, body="Hi")
    response = client.get(f"/articles/{article.slug}/comments/1/reply/")
    assert response.status_code == 302
    assert "/accounts/signin/" in response["Location"]


def test_it_renders_an_inline_reply_form_for_htmx(client, article, alice, bob):
    actions.post_comment(article=article, author=alice, body="Hi")
    client.force_login(bob)
    response = client.get(
        f"/articles/{article.slug}/comments/1/reply/", HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.lstrip().startswith("<form")
    assert "<html" not in content


def test_it_answers_304_to_a_visitor_whose_copy_is_current(client, article, alice):
    url = article.get_absolute_url()
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Another sort or page is another representation.
    assert client.get(url + "?sort=best", HTTP_IF_NONE_MATCH=etag).status_code == 200
    actions.post_comment(article=article, author=alice, body="News!")
    fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert "News!" in fresh.content.decode()
    assert fresh["ETag"] != etag


def test_signed_in_readers_get_no_validator(client, article, alice):
    client.force_login(alice)
    assert not client.get(article.get_absolute_url()).has_header("ETag")


def test_it_shows_a_long_thread_in_parts(client, article, alice, bob, settings):
    settings.TRIBUNE_THREAD_PAGE_SIZE = 10
    make_comments(article, [alice, bob], 50)  # 20 top-level, each with replies
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="c10"' in page
    assert 'id="c10.1"' in page
    assert 'id="c11"' not in page
    assert "Show more comments" in page
    second = client.get(article.get_absolute_url() + "?page=2").content.decode()
    assert 'id="c11"' in second
    assert 'id="c10"' not in second
    assert "Earlier comments" in second
    assert "Show more comments" not in second


def test_a_permalink_finds_the_part_with_the_comment(
    client, article, alice, bob, settings
):
    settings.TRIBUNE_THREAD_PAGE_SIZE = 10
    make_comments(article, [alice, bob], 50)
    response = client.get(f"/articles/{article.slug}/comments/15.1/")
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}?page=2#c15.1"
    first = client.get(f"/articles/{article.slug}/comments/3/")
    assert first["Location"] == f"{article.get_absolute_url()}#c3"


def test_it_shows_an_imported_emoticon_once(client, article, alice):
    comment = actions.post_comment(article=article, author=alice, body="In a word")
    Comment.objects.filter(pk=comment.pk).update(emoticons=["laughing"])
    page = client.get(article.get_absolute_url()).content.decode()
    # Read back through raw SQL on every database (jsonb arrives as text).
    assert page.count('role="img"') == 1
    assert 'aria-label="laughing"' in page
    assert "😆" in page
