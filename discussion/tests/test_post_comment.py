from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from discussion import actions
from discussion.actions import CommentRefused
from discussion.models import Comment, Quote
from newsroom.models import Article


def post(client, article, body, **extra):
    data = {"body": body, **extra}
    return client.post(reverse("discussion-post", args=[article.slug]), data)


def test_it_numbers_top_level_comments_in_order(article, alice, bob, no_rate_limit):
    numbers = [
        actions.post_comment(article=article, author=user, body=f"Hello {n}").number
        for n, user in enumerate((alice, bob, alice))
    ]
    assert numbers == ["1", "2", "3"]
    article.refresh_from_db()
    assert article.comment_count == 3
    assert article.comment_counter == 3


def test_it_numbers_replies_under_their_parent(article, alice, bob, no_rate_limit):
    first = actions.post_comment(article=article, author=alice, body="Top")
    reply = actions.post_comment(article=article, author=bob, body="R1", parent=first)
    second = actions.post_comment(article=article, author=bob, body="R2", parent=first)
    deep = actions.post_comment(article=article, author=alice, body="D", parent=second)
    deeper = actions.post_comment(article=article, author=bob, body="E", parent=deep)
    assert [reply.number, second.number, deep.number, deeper.number] == [
        "1.1",
        "1.2",
        "1.2.1",
        "1.2.1.1",
    ]
    assert deeper.depth == 3
    ordered = list(
        Comment.objects.filter(article=article).values_list("number", flat=True)
    )
    assert ordered == ["1", "1.1", "1.2", "1.2.1", "1.2.1.1"]


def test_it_never_reuses_a_deleted_number(article, alice, no_rate_limit):
    first = actions.post_comment(article=article, author=alice, body="One")
    actions.delete_comment(comment=first, user=alice)
    second = actions.post_comment(article=article, author=alice, body="Two")
    assert second.number == "2"


def test_it_orders_ten_plus_siblings_numerically(article, alice, no_rate_limit):
    for n in range(11):
        actions.post_comment(article=article, author=alice, body=f"Comment {n}")
    ordered = list(
        Comment.objects.filter(article=article).values_list("number", flat=True)
    )
    assert ordered == [str(n) for n in range(1, 12)]


def test_it_returns_the_same_comment_for_a_repeated_token(
    article, alice, no_rate_limit
):
    one = actions.post_comment(
        article=article, author=alice, body="Hi", client_token="t1"
    )
    two = actions.post_comment(
        article=article, author=alice, body="Hi", client_token="t1"
    )
    assert one.pk == two.pk
    assert Comment.objects.count() == 1


def test_it_refuses_empty_and_overlong_text(article, alice, settings):
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 10
    with pytest.raises(CommentRefused, match="Write something"):
        actions.post_comment(article=article, author=alice, body="   ")
    with pytest.raises(CommentRefused, match="at most 10 characters"):
        actions.post_comment(article=article, author=alice, body="x" * 11)
    assert not Comment.objects.exists()


def test_it_refuses_closed_and_unpublished_articles(article, alice):
    article.comments_open = False
    article.save()
    with pytest.raises(CommentRefused, match="closed"):
        actions.post_comment(article=article, author=alice, body="Hi")
    article.comments_open = True
    article.status = Article.Status.DRAFT
    article.save()
    with pytest.raises(CommentRefused, match="not published"):
        actions.post_comment(article=article, author=alice, body="Hi")


def test_it_refuses_a_reply_to_another_articles_comment(article, alice, section):
    other = Article.objects.create(
        title="Other",
        slug="other",
        body="Text",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    elsewhere = actions.post_comment(article=other, author=alice, body="There")
    with pytest.raises(CommentRefused, match="another article"):
        actions.post_comment(article=article, author=alice, body="x", parent=elsewhere)


def test_it_limits_the_posting_rate(article, alice, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    now = timezone.now()
    actions.post_comment(article=article, author=alice, body="One", now=now)
    with pytest.raises(CommentRefused, match="again in 15 seconds") as refused:
        actions.post_comment(
            article=article, author=alice, body="Two", now=now + timedelta(seconds=5)
        )
    assert refused.value.retry_after == 15
    later = actions.post_comment(
        article=article, author=alice, body="Two", now=now + timedelta(seconds=21)
    )
    assert later.number == "2"


def test_it_limits_comments_per_hour(article, alice, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 3
    start = timezone.now() - timedelta(minutes=30)
    for minute in range(3):
        actions.post_comment(
            article=article,
            author=alice,
            body=f"c{minute}",
            now=start + timedelta(minutes=minute),
        )
    with pytest.raises(CommentRefused, match="3 comments in the last hour") as refused:
        actions.post_comment(article=article, author=alice, body="late")
    # The oldest of the three leaves the window 30 minutes from now.
    assert 29 * 60 <= refused.value.retry_after <= 30 * 60


@pytest.mark.parametrize("rows", [2, 3, 50])
def test_the_hourly_limit_holds_whatever_the_rows_read_at_once(
    article, alice, settings, monkeypatch, rows
):
    """A large allowance is not read whole (RATE_ROWS at most); the limit is
    the same on either side of that bound."""
    monkeypatch.setattr(actions, "RATE_ROWS", rows)
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 4
    start = timezone.now() - timedelta(minutes=40)
    for minute in range(4):
        actions.post_comment(
            article=article,
            author=alice,
            body=f"c{minute}",
            now=start + timedelta(minutes=minute * 5),
        )
    with pytest.raises(CommentRefused, match="4 comments in the last hour") as refused:
        actions.post_comment(article=article, author=alice, body="late")
    # The oldest of the four, 40 minutes old, leaves the hour in 20 minutes.
    assert 19 * 60 <= refused.value.retry_after <= 20 * 60
    settings.TRIBUNE_COMMENTS_PER_HOUR = 5
    assert actions.post_comment(article=article, author=alice, body="fifth")


def test_no_limits_ask_the_database_nothing(
    article, alice, settings, django_assert_num_queries
):
    """TRIBUNE_COMMENTS_PER_HOUR=0 turns the hourly limit off; with no minimum
    interval either, the pace check runs no query."""
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 0
    now = timezone.now()
    for n in range(actions.RATE_ROWS + 2):
        actions.post_comment(article=article, author=alice, body=f"c{n}", now=now)
    with django_assert_num_queries(0):
        actions._check_rate(alice, now)


def test_without_an_hourly_limit_the_interval_still_holds(article, alice, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    settings.TRIBUNE_COMMENTS_PER_HOUR = 0
    now = timezone.now()
    actions.post_comment(article=article, author=alice, body="One", now=now)
    with pytest.raises(CommentRefused, match="too fast"):
        actions.post_comment(
            article=article, author=alice, body="Two", now=now + timedelta(seconds=5)
        )


def test_new_accounts_keep_their_hourly_limit_when_others_have_none(
    article, alice, settings
):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 0
    settings.TRIBUNE_NEW_ACCOUNT_SECONDS = 86400
    settings.TRIBUNE_NEW_ACCOUNT_MIN_INTERVAL = 0
    settings.TRIBUNE_NEW_ACCOUNT_COMMENTS_PER_HOUR = 2
    alice.date_joined = timezone.now()
    alice.save(update_fields=["date_joined"])
    for n in range(2):
        actions.post_comment(article=article, author=alice, body=f"c{n}")
    with pytest.raises(CommentRefused, match="2 comments in the last hour"):
        actions.post_comment(article=article, author=alice, body="third")


def test_it_links_a_quote_of_the_article_to_its_paragraph(article, alice):
    body = (
        "> The Americans once again made it clear that the United States and Russia "
        "have different, if not opposite, goals in Syria.\n\nJust like in Ukraine."
    )
    comment = actions.post_comment(article=article, author=alice, body=body)
    quote = Quote.objects.get(comment=comment)
    assert quote.source == Quote.Source.ARTICLE
    assert quote.paragraph == 1
    assert 'href="#p-1"' in comment.body_html
    assert "from the article" in comment.body_html


def test_it_links_a_quote_of_the_parent_to_the_parent(
    article, alice, bob, no_rate_limit
):
    parent = actions.post_comment(
        article=article, author=alice, body="In a word, partners"
    )
    reply = actions.post_comment(
        article=article,
        author=bob,
        body="> In a word, partners\n\nIndeed.",
        parent=parent,
    )
    assert reply.quotes.get().source == Quote.Source.PARENT
    assert 'href="#c1"' in reply.body_html


def test_it_shows_raw_html_as_text(article, alice):
    comment = actions.post_comment(
        article=article, author=alice, body="<script>alert(1)</script> <b>bold</b>"
    )
    assert "<script>" not in comment.body_html
    assert "&lt;script&gt;" in comment.body_html
    assert "<b>" not in comment.body_html


# The view


def test_it_posts_through_the_page_and_redirects_to_the_number(client, article, alice):
    client.force_login(alice)
    response = post(client, article, "First!", client_token="abc")
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#c1"
    comment = Comment.objects.get()
    assert (comment.author, comment.body, comment.number) == (alice, "First!", "1")


def test_it_posts_a_reply_through_the_page(client, article, alice, bob):
    parent = actions.post_comment(article=article, author=alice, body="Top")
    client.force_login(bob)
    response = post(client, article, "Reply", parent="1")
    assert response["Location"].endswith("#c1.1")
    assert Comment.objects.get(number="1.1").parent == parent


def test_it_creates_one_comment_for_a_double_submitted_form(client, article, alice):
    client.force_login(alice)
    post(client, article, "Once", client_token="same-form")
    second = post(client, article, "Once", client_token="same-form")
    assert second.status_code == 302
    assert Comment.objects.count() == 1


def test_it_keeps_the_text_when_the_post_is_refused(client, article, alice, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 60
    client.force_login(alice)
    post(client, article, "First")
    response = post(client, article, "My carefully written second comment")
    assert response.status_code == 400
    content = response.content.decode()
    assert "My carefully written second comment" in content
    assert "You are posting too fast" in content
    assert Comment.objects.count() == 1


def test_it_keeps_the_text_of_an_overlong_comment(client, article, alice, settings):
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 20
    client.force_login(alice)
    response = post(client, article, "This is far longer than twenty characters")
    assert response.status_code == 400
    content = response.content.decode()
    assert "This is far longer than twenty characters" in content
    assert "at most 20 characters" in content


def test_it_keeps_the_text_of_a_refused_reply(client, article, alice, bob, settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 60
    actions.post_comment(article=article, author=alice, body="Top")
    client.force_login(alice)
    response = post(client, article, "Reply text kept", parent="1")
    assert response.status_code == 400
    assert "Reply text kept" in response.content.decode()


def test_it_reports_a_reply_to_a_missing_number(client, article, alice):
    client.force_login(alice)
    response = post(client, article, "Reply to nothing", parent="9.9")
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert "Reply to nothing" in response.content.decode()


def test_it_refuses_a_malformed_parent_number(client, article, alice):
    client.force_login(alice)
    response = post(client, article, "Hello", parent="1;DROP")
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_it_keeps_an_anonymous_visitors_text_across_sign_in(client, article, alice):
    response = post(client, article, "Written before my session expired")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-signin"))
    assert not Comment.objects.exists()
    client.post(reverse("accounts-signin"), {"username": "alice", "password": PASSWORD})
    page = client.get(article.get_absolute_url())
    assert "Written before my session expired" in page.content.decode()


def test_it_refuses_get(client, article, alice):
    client.force_login(alice)
    response = client.get(reverse("discussion-post", args=[article.slug]))
    assert response.status_code == 405


def test_it_requires_a_csrf_token(article, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = post(client, article, "Forged")
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_it_404s_for_a_draft_article(client, article, alice):
    article.status = Article.Status.DRAFT
    article.save()
    client.force_login(alice)
    assert post(client, article, "Hi").status_code == 404


def test_it_checks_the_rate_again_inside_the_transaction(
    article, alice, settings, monkeypatch
):
    """A post that passed the early check while another post of the same
    reader was being written (another process) is refused, not doubled."""
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 20
    real_find_quotes = actions.find_quotes

    def meanwhile(body, article_, parent):
        # The other process's post lands between the two checks.
        Comment.objects.create(
            article=article_,
            author=alice,
            number="1",
            path="000001",
            body="Other process",
            body_html="<p>Other process</p>",
            created_at=timezone.now(),
        )
        Article.objects.filter(pk=article_.pk).update(comment_counter=1)
        return real_find_quotes(body, article_, parent)

    monkeypatch.setattr(actions, "find_quotes", meanwhile)
    with pytest.raises(CommentRefused, match="posting too fast"):
        actions.post_comment(article=article, author=alice, body="This one")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Other process"]


def test_the_resent_form_is_found_through_the_token_index(article, alice):
    """The lookup of a form sent again must not read every comment the reader
    ever posted: the partial unique index on (author, token) serves it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = actions.post_comment(
        article=article, author=alice, body="Once", client_token="form-1"
    )
    with CaptureQueriesContext(connection) as captured:
        assert actions._posted_with(alice, "form-1") == first
    sql = captured[0]["sql"]  # with its values, as the database received it
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table this small would be read whole anyway.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "discussion_comment_token_unique" in plan, plan
