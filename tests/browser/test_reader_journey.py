"""A reader joins the discussion of the reference page through the real pages."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEWCOMER = "Новый читатель"


def item(page, number: str):
    """The thread's <li> of comment `number`."""
    return page.locator("li#c" + number.replace(".", "\\."))


def own(page, number: str):
    """The comment's own <article>, not those of its replies."""
    return item(page, number).locator("> article")


def post_comment(page, text: str) -> None:
    form = page.locator("form.comment-form").first
    form.get_by_label("Your comment").fill(text)
    form.get_by_role("button", name="Post comment").click()


def test_it_takes_a_new_reader_through_the_discussion(
    watched, reference_article, no_rate_limit, screenshot
):
    page = watched.page
    url = reference_article.get_absolute_url()
    page.goto(url)

    # Sign up from the prompt under the article, and come back to it.
    page.locator(".signin-prompt").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    page.locator("#id_username").fill(NEWCOMER)
    page.locator("#id_email").fill("newcomer@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "(#comment-form)?$"))
    expect(page.locator(".site-nav")).to_contain_text(NEWCOMER)

    # A top-level comment takes the next number, 15.
    post_comment(page, "My first comment on Military Review.")
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
    expect(own(page, "15").locator(".author")).to_have_text(NEWCOMER)
    expect(own(page, "15").locator(".comment-body")).to_have_text(
        "My first comment on Military Review."
    )
    # No voting on one's own comment.
    expect(own(page, "15").locator(".vote")).to_have_text("0")
    expect(own(page, "15").locator(".vote button")).to_have_count(0)

    # Reply to 7.1 with the inline (htmx) form.
    own(page, "7.1").get_by_role("link", name="Reply", exact=True).click()
    inline = own(page, "7.1").locator("form.reply-form")
    expect(inline).to_contain_text("Reply to comment 7.1 by Aleksandr72")
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))  # no navigation
    inline.get_by_role("textbox").fill("Agreed, nothing new.")
    inline.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c7\\.1\\.1$"))
    reply = item(page, "7").locator("ol.replies li#c7\\.1 ol.replies > li#c7\\.1\\.1")
    expect(reply.locator("> article .author")).to_have_text(NEWCOMER)
    expect(reply.locator("> article .number")).to_have_text("7.1.1")
    expect(reply.locator("> article .comment-body")).to_have_text(
        "Agreed, nothing new."
    )

    # Quote a paragraph of the article with the link tribune.js adds to it.
    paragraph = page.locator(".article-body #p-9")
    paragraph.get_by_role("link", name="Quote this paragraph in a comment").click()
    box = page.locator("#comment-form textarea")
    expect(box).to_have_value(re.compile(r"^> The Americans once again made it clear"))
    expect(box).to_be_focused()
    box.press("End")
    box.type("Different goals indeed.")
    page.locator("#comment-form").get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c16$"))
    quote = own(page, "16").locator("blockquote")
    expect(quote).to_contain_text("The Americans once again made it clear")
    expect(quote.locator(".quote-source a")).to_have_attribute("href", "#p-9")
    expect(own(page, "16").locator(".comment-body > p").last).to_have_text(
        "Different goals indeed."
    )

    # Quote comment 3: the reply form comes pre-filled with its own words
    # (not with the article passage that 3 itself quotes).
    own(page, "3").get_by_role("link", name="Quote", exact=True).click()
    quoting = own(page, "3").locator("form.reply-form")
    expect(quoting).to_contain_text("Reply to comment 3 by amirbek")
    expect(quoting.get_by_role("textbox")).to_have_value(
        "> then they say - they were politely sent fuck\n\n"
    )

    # Vote on comment 1: +1, then −1, then withdraw.
    vote = own(page, "1").locator(".vote")
    vote.get_by_role("button", name="Vote +1 on comment 1").click()
    expect(vote.locator(".score")).to_have_text("+1")
    expect(
        vote.get_by_role("button", name="Withdraw +1 on comment 1")
    ).to_have_attribute("aria-pressed", "true")
    vote.get_by_role("button", name="Vote −1 on comment 1").click()
    expect(vote.locator(".score")).to_have_text("-1")
    expect(
        vote.get_by_role("button", name="Withdraw −1 on comment 1")
    ).to_have_attribute("aria-pressed", "true")
    expect(vote.get_by_role("button", name="Vote +1 on comment 1")).to_have_attribute(
        "aria-pressed", "false"
    )
    vote.get_by_role("button", name="Withdraw −1 on comment 1").click()
    expect(vote.locator(".score")).to_have_text("0")
    expect(vote.locator("button[aria-pressed=true]")).to_have_count(0)
    # The votes were real: a reload shows the same.
    page.reload()
    expect(own(page, "1").locator(".vote .score")).to_have_text("0")

    # Edit comment 15.
    own(page, "15").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit comment 15")).to_be_visible()
    body = page.get_by_label("Your comment")
    expect(body).to_have_value("My first comment on Military Review.")
    body.fill("My first comment on Military Review, corrected.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
    expect(own(page, "15").locator(".edited")).to_have_text("edited")
    expect(own(page, "15").locator(".comment-body")).to_have_text(
        "My first comment on Military Review, corrected."
    )

    # Reply to 15 so that it has a reply, then delete 15: a placeholder keeps
    # the reply in its place and under its number.
    own(page, "15").get_by_role("link", name="Reply", exact=True).click()
    inline = own(page, "15").locator("form.reply-form")
    inline.get_by_role("textbox").fill("Replying to myself.")
    inline.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15\\.1$"))

    own(page, "15").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete comment 15?")).to_be_visible()
    page.get_by_role("button", name="Delete comment").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#comments$"))
    expect(page.locator(".messages")).to_contain_text("Comment 15 deleted.")
    expect(own(page, "15").locator(".placeholder")).to_have_text(
        "Comment deleted by its author."
    )
    expect(own(page, "15")).not_to_contain_text("corrected")
    expect(own(page, "15").locator(".author")).to_have_count(0)
    kept = item(page, "15").locator("ol.replies > li#c15\\.1 > article")
    expect(kept.locator(".number")).to_have_text("15.1")
    expect(kept.locator(".comment-body")).to_have_text("Replying to myself.")

    # Delete 16, which has no replies: it leaves the thread, and its number
    # is not given out again.
    own(page, "16").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete comment").click()
    expect(page.locator(".messages")).to_contain_text("Comment 16 deleted.")
    expect(item(page, "16")).to_have_count(0)
    post_comment(page, "After the deletions.")
    expect(page).to_have_url(re.compile(re.escape(url) + "#c17$"))
    expect(own(page, "17").locator(".comment-body")).to_have_text(
        "After the deletions."
    )
    expect(item(page, "16")).to_have_count(0)

    screenshot(page, "thread-after-journey")
    watched.assert_clean()


def test_it_works_without_javascript(
    new_page, reference_article, alice, sign_in, no_rate_limit
):
    from discussion.models import Comment

    Comment.objects.filter(article=reference_article, number="5").update(score=-6)
    watched = new_page(java_script_enabled=False)
    page = watched.page
    url = reference_article.get_absolute_url()
    sign_in(page, "alice", next_url=url)
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))

    post_comment(page, "Posted without JavaScript.")
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
    expect(own(page, "15").locator(".author")).to_have_text("alice")

    # Reply goes through the reply page.
    own(page, "7.1").get_by_role("link", name="Reply", exact=True).click()
    expect(page).to_have_url(re.compile(r"/comments/7\.1/reply/#reply-form$"))
    expect(page.get_by_role("heading", name="Reply to comment 7.1")).to_be_visible()
    form = page.locator("form#reply-form")
    form.get_by_label("Your comment").fill("A reply from the reply page.")
    form.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c7\\.1\\.1$"))
    reply = item(page, "7.1").locator("ol.replies > li#c7\\.1\\.1 > article")
    expect(reply.locator(".author")).to_have_text("alice")
    expect(reply.locator(".comment-body")).to_have_text("A reply from the reply page.")

    # Voting is a plain form post.
    vote = own(page, "1").locator(".vote")
    vote.get_by_role("button", name="Vote +1 on comment 1").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c1$"))
    vote = own(page, "1").locator(".vote")
    expect(vote.locator(".score")).to_have_text("+1")
    expect(
        vote.get_by_role("button", name="Withdraw +1 on comment 1")
    ).to_have_attribute("aria-pressed", "true")

    # A comment rated -6 is folded behind a native <details>.
    folded = own(page, "5").locator("details.collapsed")
    expect(folded.locator("summary")).to_have_text("Hidden: rated -6. Show")
    expect(folded).not_to_have_attribute("open", "")
    expect(folded.locator(".comment-body")).to_be_hidden()
    folded.locator("summary").click()
    expect(folded).to_have_attribute("open", "")
    expect(folded.locator(".comment-body")).to_be_visible()
    expect(folded.locator(".comment-body")).to_contain_text("Joint operations are not")

    # Quoting a paragraph falls back on the server: ?quote=p-N pre-fills the form.
    page.goto(f"{url}?quote=p-9#comment-form")
    expect(page.locator("#comment-form textarea")).to_have_value(
        re.compile(r"^> The Americans once again made it clear")
    )
    watched.assert_clean()


def test_it_keeps_the_text_of_a_refused_comment(
    watched, reference_article, alice, sign_in, settings
):
    page = watched.page
    url = reference_article.get_absolute_url()
    sign_in(page, "alice", next_url=url)
    form = page.locator("#comment-form")
    errors = form.locator(".form-errors, .error")

    # Only blanks: the browser's `required` lets it through, the server refuses.
    form.get_by_label("Your comment").fill("   \n  ")
    form.get_by_role("button", name="Post comment").click()
    expect(errors).to_contain_text("Write something before posting.")
    expect(page.locator("li#c15")).to_have_count(0)

    # Too long for a limit lowered while the reader was typing.
    text = "An argument that goes on and on and on and on and on."
    form.get_by_label("Your comment").fill(text)
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 40
    form.get_by_role("button", name="Post comment").click()
    expect(errors).to_contain_text(
        f"Comments can be at most 40 characters; this one has {len(text)}."
    )
    expect(form.get_by_label("Your comment")).to_have_value(text)
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 10000

    # Posting again too soon: refused, text kept.
    post_comment(page, "The first one goes through.")
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
    post_comment(page, "The second one is too quick.")
    expect(errors).to_contain_text("You are posting too fast.")
    expect(form.get_by_label("Your comment")).to_have_value(
        "The second one is too quick."
    )
    expect(page.locator("li#c16")).to_have_count(0)
    watched.assert_clean()


def _refused_reply(page, settings, url):
    """Open the inline reply form under 7 and post a reply too long for it."""
    own(page, "7").get_by_role("link", name="Reply", exact=True).click()
    inline = own(page, "7").locator("form.reply-form")
    inline.get_by_role("textbox").fill("A reply of some thirty chars.")
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 20
    inline.get_by_role("button", name="Post reply").click()
    expect(page.locator(".form-errors, .error")).to_contain_text(
        "Comments can be at most 20 characters; this one has 29."
    )


def test_it_keeps_the_text_of_a_refused_reply(
    watched, reference_article, alice, sign_in, settings
):
    page = watched.page
    url = reference_article.get_absolute_url()
    sign_in(page, "alice", next_url=url)
    _refused_reply(page, settings, url)

    form = page.locator("form#reply-form")
    box = form.get_by_label("Your comment")
    expect(box).to_have_value("A reply of some thirty chars.")
    # Shortened, it goes through, still as a reply to 7.
    box.fill("Shorter reply.")
    form.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c7\\.2$"))
    expect(
        item(page, "7").locator("ol.replies > li#c7\\.2 .comment-body")
    ).to_have_text("Shorter reply.")
    watched.assert_clean()


def test_a_refused_reply_still_shows_the_comment_it_answers(
    watched, reference_article, alice, sign_in, settings
):
    page = watched.page
    url = reference_article.get_absolute_url()
    sign_in(page, "alice", next_url=url)
    _refused_reply(page, settings, url)

    expect(page.get_by_role("heading", level=1)).to_have_text("Reply to comment 7")
    expect(page.locator(".replying-to")).to_have_text("Reply to comment 7 by Tim")
    expect(page.locator(".reply-context")).to_contain_text("In a word, partners")
    expect(page.get_by_role("link", name="Back to the discussion")).to_have_attribute(
        "href", f"{url}#c7"
    )


def test_it_accepts_what_the_browser_let_the_reader_type(
    watched, reference_article, alice, sign_in, settings
):
    settings.TRIBUNE_COMMENT_MAX_LENGTH = 20
    page = watched.page
    url = reference_article.get_absolute_url()
    sign_in(page, "alice", next_url=url)
    box = page.locator("#comment-form textarea")
    expect(box).to_have_attribute("maxlength", "20")
    box.fill("x" * 30)
    expect(box).to_have_value("x" * 20)  # the browser stops typing at 20

    box.fill("one\ntwo\nthree\nfour")  # 18 characters in the browser
    page.locator("#comment-form").get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c15$"))
