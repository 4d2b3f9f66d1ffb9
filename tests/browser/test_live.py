"""Two readers on the reference page: one posts, the other hears of it live."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def quick_live(settings):
    # The live server is WSGI: each answer comes at once and the page asks
    # again after the poll interval.
    settings.TRIBUNE_LIVE_POLL_SECONDS = 0.5
    settings.REDIS_URL = ""


def assert_clean(watched) -> None:
    # Leaving the page cancels a live request in flight; that is no fault.
    problems = [
        problem
        for problem in watched.problems
        if not ("/live/" in problem and "net::ERR_ABORTED" in problem)
    ]
    assert problems == [], "\n".join(problems)


def settled_scroll(page) -> int:
    """window.scrollY once a wheel scroll has finished moving the page."""
    previous = page.evaluate("window.scrollY")
    for _ in range(20):
        page.wait_for_timeout(100)
        current = page.evaluate("window.scrollY")
        if current == previous:
            return current
        previous = current
    return previous


def test_a_reader_hears_of_a_new_comment_without_the_page_moving(
    new_page, reference_article, alice, sign_in, no_rate_limit, quick_live
):
    url = reference_article.get_absolute_url()
    reader = new_page()
    page = reader.page
    page.goto(url)
    live = page.locator("#live-comments")
    assert live.count() == 1, "discussion.html must include discussion/live.html"
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_be_empty()
    # Read somewhere in the middle of the thread.
    page.locator("li#c7").scroll_into_view_if_needed()
    page.mouse.wheel(0, 150)
    page.wait_for_function("window.scrollY > 0")
    page.wait_for_timeout(600)  # one poll with nothing new
    scrolled = settled_scroll(page)

    writer = new_page()
    sign_in(writer.page, "alice", next_url=url)
    form = writer.page.locator("form.comment-form").first
    form.get_by_label("Your comment").fill("Posted while others read.")
    form.get_by_role("button", name="Post comment").click()
    expect(writer.page).to_have_url(re.compile(re.escape(url) + "#c15$"))

    expect(live).to_have_text(re.compile(r"^1 new comment\s*—\s*Show$"))
    # Nothing was inserted into the thread and the page did not move.
    assert page.evaluate("window.scrollY") == scrolled
    expect(page.locator("li#c15")).to_have_count(0)
    show = live.get_by_role("link", name="Show")
    expect(show).to_be_in_viewport()

    # The writer's own page already shows the comment: no news there.
    writer.page.wait_for_timeout(1000)
    expect(writer.page.locator("#live-comments")).to_be_empty()

    show.click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
    comment = page.locator("li#c15 > article")
    expect(comment.locator(".comment-body")).to_have_text("Posted while others read.")
    expect(comment).to_be_in_viewport()
    expect(page.locator("#live-comments")).to_be_empty()

    assert_clean(reader)
    assert_clean(writer)


def test_the_page_counts_every_new_comment(
    new_page, reference_article, alice, bob, no_rate_limit, quick_live
):
    from discussion import actions
    from discussion.models import Comment

    url = reference_article.get_absolute_url()
    reader = new_page()
    page = reader.page
    page.goto(url)
    live = page.locator("#live-comments")
    assert live.count() == 1, "discussion.html must include discussion/live.html"

    seven = Comment.objects.get(article=reference_article, number="7")
    actions.post_comment(article=reference_article, author=alice, body="One")
    actions.post_comment(
        article=reference_article, author=bob, body="Two", parent=seven
    )
    expect(live).to_have_text(re.compile(r"^2 new comments\s*—\s*Show$"))
    # Show leads to the first of them.
    expect(live.get_by_role("link", name="Show")).to_have_attribute(
        "href", f"{url}comments/15/"
    )
    assert_clean(reader)
