"""The figures `python -m bench.load` checks the database with.

Each broken state the load test looks for is made here on purpose, so a
check that could never fire would fail.
"""

import pytest

from bench.load import BROKEN, durability_figures
from discussion import actions
from discussion.models import Comment, Vote
from newsroom.models import Article


@pytest.fixture
def load_article(article):
    Article.objects.filter(pk=article.pk).update(slug="load-1")
    article.refresh_from_db()
    return article


def _sent(comment, *, unanswered=0, number=None):
    return {
        "author": comment.author.username,
        "via": "form",
        "article": comment.article.slug,
        "parent": comment.parent_number or "",
        "client_token": comment.client_token,
        "body": comment.body,
        "attempts": 1 + unanswered,
        "unanswered": unanswered,
        "number": number or comment.number,
    }


@pytest.fixture
def thread(load_article, alice, bob, no_rate_limit):
    """Three comments by alice and bob, as acknowledged to them."""
    first = actions.post_comment(
        article=load_article, author=alice, body="First words.", client_token="a1"
    )
    reply = actions.post_comment(
        article=load_article,
        author=bob,
        body="A reply.",
        parent=first,
        client_token="b1",
    )
    second = actions.post_comment(
        article=load_article, author=bob, body="Second words.", client_token="b2"
    )
    actions.cast_vote(comment=first, user=bob, value=1)
    return [first, reply, second]


def _broken(figures) -> dict:
    return {name: figures[name] for name in BROKEN if figures.get(name)}


def test_it_finds_nothing_wrong_with_a_sound_thread(thread):
    figures = durability_figures([_sent(c) for c in thread], None)
    assert figures["acknowledged"] == 3
    assert figures["comments_checked"] == 3
    assert _broken(figures) == {}


def test_it_counts_an_acknowledged_comment_that_is_missing(thread):
    sent = [_sent(c) for c in thread]
    Comment.objects.filter(pk=thread[2].pk).delete()
    figures = durability_figures(sent, None)
    assert figures["acknowledged_lost"] == 1
    # Its number was taken and now has no comment: a gap as well.
    assert figures["numbering_gaps"] == 1


def test_it_counts_an_answer_that_gave_another_number(thread):
    sent = [_sent(c) for c in thread]
    sent[1]["number"] = "1.2"
    assert _broken(durability_figures(sent, None)) == {
        "acknowledged_with_other_number": 1
    }


def test_it_counts_one_token_given_to_two_texts(thread):
    # A page that served the same client_token twice: the second comment
    # would come back as the first one, its text silently dropped.
    sent = [_sent(c) for c in thread]
    sent.append({**sent[0], "body": "Another text with the same token."})
    figures = _broken(durability_figures(sent, None))
    assert figures == {"acknowledged_with_other_text": 1, "one_token_for_two_texts": 1}


def test_it_counts_a_text_stored_twice(thread, alice, load_article, settings):
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    again = actions.post_comment(
        article=load_article, author=alice, body="First words.", client_token="a2"
    )
    sent = [_sent(c) for c in [*thread, again]]
    assert _broken(durability_figures(sent, None)) == {"duplicates_by_text": 1}


def test_it_counts_gaps_and_repeats_in_the_numbering(thread, load_article):
    first, reply, _ = thread
    # A top-level number taken but never stored, and a reply's position twice.
    Article.objects.filter(pk=load_article.pk).update(comment_counter=3)
    Comment.objects.filter(pk=reply.pk).update(number="1.2", path=reply.path)
    Comment.objects.filter(pk=first.pk).update(reply_counter=2)
    figures = durability_figures([], None)
    assert figures["numbering_gaps"] == 2  # #3 and #1.1
    assert figures["numbering_misplaced"] == 1  # 1.2 stored with 1.1's path


def test_it_counts_repeated_positions(thread, load_article, alice):
    first, _, second = thread
    # The unique constraints keep numbers apart; a reply filed under the
    # wrong parent still takes a position there a second time.
    stray = actions.post_comment(
        article=load_article, author=alice, body="Under two.", parent=second
    )
    Comment.objects.filter(pk=stray.pk).update(parent=first)
    Comment.objects.filter(pk=second.pk).update(reply_counter=0)
    assert _broken(durability_figures([], None)) == {
        "numbering_repeats": 1,  # 1.1 and the stray 2.1 both at position 1
        "numbering_misplaced": 1,  # 2.1 under comment 1
    }


def test_it_counts_counters_that_drifted(thread, load_article):
    first = thread[0]
    Article.objects.filter(pk=load_article.pk).update(comment_count=2)
    Comment.objects.filter(pk=first.pk).update(score=5)
    assert _broken(durability_figures([], None)) == {
        "comment_count_off": 1,
        "score_off_from_votes": 1,
    }
    assert Vote.objects.filter(comment=first).count() == 1


def test_it_counts_retried_comments_the_killed_server_had_stored(thread):
    sent = [_sent(c, unanswered=1) for c in thread]
    killed_after = thread[-1].created_at.timestamp() + 1
    figures = durability_figures(sent, killed_after)
    assert figures["committed_before_kill_answer_lost_then_retried"] == 3
    assert (
        durability_figures(sent, thread[0].created_at.timestamp() - 1)[
            "committed_before_kill_answer_lost_then_retried"
        ]
        == 0
    )
