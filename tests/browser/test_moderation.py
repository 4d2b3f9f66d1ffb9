"""Moderators clear their queues and act on readers through the real pages."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def item(page, number: str):
    """The thread's <li> of comment `number`."""
    return page.locator("li#c" + number.replace(".", "\\."))


def own(page, number: str):
    """The comment's own <article>, not those of its replies."""
    return item(page, number).locator("> article")


def queue_item(page, comment):
    return page.locator(f"li#item-{comment.pk}")


def current(page):
    """The queue item moderation.js marks current (and focuses)."""
    return page.locator(".mod-item.is-current")


def expect_current(page, comment):
    # moderation.js marks the current item on DOMContentLoaded; keys pressed
    # before that would go nowhere, so every key press waits for this first.
    expect(current(page)).to_have_attribute("id", f"item-{comment.pk}")
    expect(current(page)).to_be_focused()


def test_a_moderator_clears_the_queues_with_the_keyboard(
    watched,
    new_page,
    reference_article,
    alice,
    bob,
    maude,
    mallory,
    sign_in,
    no_rate_limit,
    screenshot,
):
    from discussion.actions import post_comment
    from moderation.actions import report_comment

    article = reference_article
    url = article.get_absolute_url()

    # Three reported comments by mallory: 15 twice, 16 and 17 once, so the
    # queue (most reports first, then oldest) lists 15, 16, 17.
    rude, dull, spam = (
        post_comment(article=article, author=mallory, body=text)
        for text in (
            "You are all idiots.",
            "A dull comment someone dislikes.",
            "Buy cheap watches today.",
        )
    )
    assert [c.number for c in (rude, dull, spam)] == ["15", "16", "17"]
    report_comment(reporter=alice, comment=rude, reason="abuse")
    report_comment(reporter=bob, comment=rude, reason="abuse")
    report_comment(reporter=alice, comment=dull, reason="off_topic")
    report_comment(reporter=bob, comment=spam, reason="spam")

    # Two comments by a reader whose first comments wait for review.
    no_rate_limit.TRIBUNE_PREMODERATE_NEW_READERS = 5
    first, second = (
        post_comment(article=article, author=bob, body=text)
        for text in ("My first words here.", "And my second.")
    )
    no_rate_limit.TRIBUNE_PREMODERATE_NEW_READERS = 0
    assert [(c.number, c.status) for c in (first, second)] == [
        ("18", "pending"),
        ("19", "pending"),
    ]

    page = watched.page
    sign_in(page, "maude")
    nav = page.locator(".site-nav")
    moderation = nav.get_by_role("link", name=re.compile(r"^Moderation"))
    expect(moderation.locator(".badge-count")).to_have_text("3/2")
    moderation.click()
    expect(page).to_have_url(re.compile(r"/moderation/$"))
    mod_nav = page.locator("nav.mod-nav")
    expect(mod_nav.locator("[aria-current=page]")).to_have_text("Reported (3)")
    expect(mod_nav).to_contain_text("Pending review (2)")
    queue = page.locator("ol.mod-queue > li.mod-item")
    expect(queue).to_have_count(3)
    expect(queue.nth(0).locator(".reports > li")).to_have_count(2)
    expect(queue.nth(0).locator(".reports")).to_contain_text("Abuse or harassment")
    expect(queue.nth(0).locator(".comment-body")).to_have_text("You are all idiots.")
    screenshot(page, "moderation-queue-reported")

    # j to the dull one, a keeps it (its report is dismissed).
    expect_current(page, rude)
    page.keyboard.press("j")
    expect_current(page, dull)
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("Comment 16: approved.")
    expect(queue).to_have_count(2)
    expect(queue_item(page, dull)).to_have_count(0)

    # r focuses the removal reason, "Abuse or insults" to begin with; Enter
    # there removes.
    expect_current(page, rude)
    page.keyboard.press("r")
    reason = queue_item(page, rude).get_by_label("Reason for removing 15", exact=True)
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Abuse or insults")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Comment 15: removed.")
    expect(queue).to_have_count(1)

    # x selects the last one; Shift+Tab goes back through the bulk form
    # (Restore, Approve, Remove, own reason) to its reason, which starts at
    # "Abuse or insults": type-ahead picks "Spam…", Tab Tab reaches "Remove".
    expect_current(page, spam)
    page.keyboard.press("x")
    expect(
        queue_item(page, spam).get_by_role("checkbox", name="Select comment 17")
    ).to_be_checked()
    bulk = page.locator("#bulk-form")
    bulk_remove = bulk.get_by_role("button", name="Remove")
    page.keyboard.press("Shift+Tab")
    expect(bulk.get_by_role("button", name="Restore")).to_be_focused()
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
    bulk_reason = bulk.locator("select[name=reason_choice]")
    expect(bulk_reason).to_be_focused()
    expect(bulk_reason).to_have_value("Abuse or insults")
    page.keyboard.press("S")
    expect(bulk_reason).to_have_value("Spam or advertising")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(bulk_remove).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("1 comment done.")
    expect(page.locator("p.empty")).to_have_text("Nothing here. Well done.")
    expect(mod_nav).to_contain_text("Reported (0)")
    expect(moderation.locator(".badge-count")).to_have_text("0/2")

    # Pending review: a approves the first, then the second.
    mod_nav.get_by_role("link", name="Pending review (2)").click()
    expect(mod_nav.locator("[aria-current=page]")).to_have_text("Pending review (2)")
    expect(queue).to_have_count(2)
    expect(queue.nth(0).get_by_role("button", name="Approve")).to_be_visible()
    expect(queue.nth(0)).to_contain_text("held: new reader")
    expect_current(page, first)
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("Comment 18: approved.")
    expect_current(page, second)
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("Comment 19: approved.")
    expect(page.locator("p.empty")).to_have_text("Nothing here. Well done.")
    expect(moderation.locator(".badge-count")).to_have_count(0)

    # The thread: 18 and 19 are published, 15 and 17 are placeholders, 16 is kept.
    page.goto(url)
    for number, text in (("18", "My first words here."), ("19", "And my second.")):
        expect(own(page, number).locator(".number")).to_have_text(number)
        expect(own(page, number).locator(".author")).to_have_text("bob")
        expect(own(page, number).locator(".comment-body")).to_have_text(text)
        expect(own(page, number).locator(".badge")).to_have_count(0)
    expect(own(page, "16").locator(".comment-body")).to_have_text(
        "A dull comment someone dislikes."
    )
    for number in ("15", "17"):
        expect(own(page, number).locator(".placeholder")).to_have_text(
            "Comment removed by a moderator."
        )
        expect(own(page, number).locator(".author")).to_have_count(0)
    expect(own(page, "15")).not_to_contain_text("idiots")

    # Anyone else sees the same thread.
    anonymous = new_page()
    anonymous.page.goto(url)
    expect(own(anonymous.page, "18").locator(".comment-body")).to_have_text(
        "My first words here."
    )
    expect(own(anonymous.page, "15").locator(".placeholder")).to_have_text(
        "Comment removed by a moderator."
    )
    anonymous.assert_clean()

    # Recently removed: newest first (17, 15); j to 15, u restores it.
    page.goto("/moderation/queue/removed/")
    expect(queue).to_have_count(2)
    expect_current(page, spam)
    page.keyboard.press("j")
    expect_current(page, rude)
    page.keyboard.press("u")
    expect(page.locator(".messages")).to_contain_text("Comment 15: restored.")
    expect(queue).to_have_count(1)
    page.goto(url)
    expect(own(page, "15").locator(".comment-body")).to_have_text("You are all idiots.")
    expect(own(page, "15").locator(".author")).to_have_text("mallory")

    # The audit log lists every decision, newest first, each by maude.
    page.goto("/moderation/log/")
    rows = page.locator("table.audit tbody tr")
    expected = [
        ("Restored comment 15", ""),
        ("Approved comment 19", ""),
        ("Approved comment 18", ""),
        ("Removed comment 17", "Spam or advertising"),
        ("Removed comment 15", "Abuse or insults"),
        ("Approved comment 16", ""),
    ]
    expect(rows).to_have_count(len(expected))
    for row, (what, why) in zip(rows.all(), expected, strict=True):
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("maude")
        expect(cells.nth(2)).to_contain_text(what)
        expect(cells.nth(3)).to_have_text(why)
    watched.assert_clean()


def test_a_banned_reader_is_refused_with_a_clear_message(
    new_page, reference_article, maude, mallory, sign_in, no_rate_limit
):
    url = reference_article.get_absolute_url()

    # mallory has the article open and starts typing.
    reader = new_page()
    reader_page = reader.page
    sign_in(reader_page, "mallory", next_url=url)
    text = "You cannot silence me."
    reader_page.locator("#comment-form").get_by_label("Your comment").fill(text)

    # Meanwhile maude bans her from the reader page.
    moderator = new_page()
    page = moderator.page
    sign_in(page, "maude", next_url=f"/moderation/readers/{mallory.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("mallory")
    expect(page.locator("dl.facts")).to_contain_text("In good standing")
    page.get_by_label("Reason or note").fill("Insults other readers.")
    page.get_by_role("button", name="Ban").click()
    expect(page.locator(".messages")).to_contain_text("mallory: done (ban).")
    expect(page.locator("dl.facts")).to_contain_text("Banned since")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("Banned reader")
    moderator.assert_clean()

    # mallory posts: refused with the reason, her text kept.
    page = reader_page
    message = "Your account is banned from commenting. Reason: Insults other readers."
    form = page.locator("#comment-form")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".form-errors, .error")).to_contain_text(message)
    expect(form.get_by_label("Your comment")).to_have_value(text)
    expect(page.locator("li#c15")).to_have_count(0)

    # Opened afresh, the page says so where the form was, with no buttons.
    page.goto(url)
    expect(page.locator("#comment-form")).to_contain_text(message)
    expect(page.locator("#comment-form textarea")).to_have_count(0)
    expect(page.locator(".vote button")).to_have_count(0)
    reader.assert_clean()


def test_a_banned_reader_sees_why_her_vote_is_refused(
    new_page, reference_article, mallory, maude, sign_in
):
    from moderation.actions import ban_reader

    url = reference_article.get_absolute_url()
    reader = new_page()
    page = reader.page
    sign_in(page, "mallory", next_url=url)
    # Banned while she reads.
    ban_reader(actor=maude, reader=mallory, reason="Insults other readers.")
    vote = own(page, "1").locator(".vote")
    vote.get_by_role("button", name="Vote +1 on comment 1").click()
    expect(vote.get_by_role("alert")).to_have_text(
        "Your account is banned from commenting. Reason: Insults other readers.",
        timeout=3000,
    )
    expect(vote.locator(".score")).to_have_text("0")


def test_a_reader_reports_a_comment(new_page, reference_article, alice, maude, sign_in):
    url = reference_article.get_absolute_url()

    moderator = new_page()
    mod_page = moderator.page
    sign_in(mod_page, "maude", next_url="/moderation/")
    mod_nav = mod_page.locator("nav.mod-nav")
    expect(mod_nav.locator("[aria-current=page]")).to_have_text("Reported (0)")
    expect(mod_page.locator("p.empty")).to_have_text("Nothing here. Well done.")

    reader = new_page()
    page = reader.page
    sign_in(page, "alice", next_url=url)
    own(page, "3").get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report comment 3")
    page.get_by_role("radio", name="Spam or advertising").check()
    page.get_by_label("Details").fill("Same text under every article.")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "#c3$"))
    expect(page.locator(".messages")).to_have_text(
        "Thank you: comment 3 was reported to the moderators."
    )
    reader.assert_clean()

    mod_page.reload()
    expect(mod_nav.locator("[aria-current=page]")).to_have_text("Reported (1)")
    header = mod_page.locator(".site-nav").get_by_role(
        "link", name=re.compile(r"^Moderation")
    )
    expect(header.locator(".badge-count")).to_have_text("1/0")
    reports = mod_page.locator("ol.mod-queue > li.mod-item .reports")
    expect(reports).to_contain_text(
        "Spam or advertising: “Same text under every article.” — alice"
    )
    moderator.assert_clean()
