"""An anonymous visitor reads the imported reference page."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AUTHORS = {
    "1": "Thunderbolt",
    "2": "Holsten",
    "3": "amirbek",
    "4": "avg-mgn",
    "5": "olimpiada15",
    "6": "Volga Cossack",
    "7": "Tim",
    "7.1": "Aleksandr72",
    "8": "Volzhanin",
    "9": "kolexxx",
    "10": "Garris199",
    "11": "Rostislav",
    "12": "zulusuluz",
    "13": "iouris",
    "14": "serge siberian",
}


def comment(page, number: str):
    return page.locator(f"li#c{number.replace('.', chr(92) + '.')}")


def test_it_shows_the_article_and_its_numbered_thread(
    watched, reference_article, screenshot
):
    page = watched.page
    page.goto(reference_article.get_absolute_url())

    expect(page.locator(".site-name")).to_have_text("Military Review")
    expect(page.locator("h1")).to_have_text(
        "Proposal for joint operations is not discussed."
    )
    expect(page.locator(".byline")).to_have_text(
        "Observed and commented on Oleg Chuvakin"
    )
    expect(page.locator(".signin-prompt")).to_contain_text(
        "to leave comments on the publication, you must sign in"
    )
    # The stylesheet applied: the skip link is moved off screen.
    assert page.locator(".skip-link").bounding_box()["x"] < 0

    for number, author in AUTHORS.items():
        item = comment(page, number)
        expect(item).to_have_count(1)
        header = item.locator("> article > .comment-header")
        expect(header.locator(".number")).to_have_text(number)
        expect(header.locator(".author")).to_have_text(author)
    expect(page.locator("li.comment-item")).to_have_count(len(AUTHORS))
    expect(comment(page, "7.1").locator("> article time")).to_have_text(
        "25 May 2016 09:37"
    )
    expect(comment(page, "14").locator("> article .author")).to_have_text(
        "serge siberian"
    )

    # 7.1 is a reply: it sits in the replies list inside 7's item.
    expect(comment(page, "7").locator("ol.replies > li#c7\\.1")).to_have_count(1)
    expect(comment(page, "8").locator("li")).to_have_count(0)

    emoticon = comment(page, "7").locator("> article .emoticons [role=img]")
    expect(emoticon).to_have_text("😆")
    expect(emoticon).to_have_attribute("aria-label", "laughing")

    # Comment 2 quotes the article; its blockquote links to the paragraph.
    source = comment(page, "2").locator("blockquote .quote-source a")
    expect(source).to_have_text("from the article")
    href = source.get_attribute("href")
    assert re.fullmatch(r"#p-\d+", href), href
    paragraph = page.locator(f".article-body {href}")
    expect(paragraph).to_have_count(1)
    expect(paragraph).to_contain_text("different, if not opposite, goals")
    # And 7.1 quotes its parent, 7.
    sources = comment(page, "7.1").locator("blockquote .quote-source a")
    expect(sources.first).to_have_attribute("href", "#c7")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "reference-page-anonymous")
    watched.assert_clean()


def test_it_brings_a_reader_back_to_the_article_after_signing_in(
    watched, reference_article, alice
):
    page = watched.page
    url = reference_article.get_absolute_url()
    page.goto(url)

    page.locator(".signin-prompt").get_by_role("link", name="sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/signin/\?next="))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(re.escape(url) + "(#comment-form)?$"))
    expect(page.locator(".site-nav")).to_contain_text("alice")
    expect(page.locator("#comment-form textarea")).to_be_visible()
    expect(page.locator(".signin-prompt")).to_have_count(0)
    watched.assert_clean()
