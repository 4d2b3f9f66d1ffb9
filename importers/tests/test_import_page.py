"""Writing a parsed page into the database: `tribune import-page`."""

import json
import zoneinfo
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from discussion.models import Comment, Quote
from importers.actions import import_page
from importers.reference_page import parse_page
from importers.tests import REFERENCE_PAGE
from newsroom.models import Article, Author

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def run(*args) -> str:
    out = StringIO()
    call_command("import-page", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def page():
    return parse_page(REFERENCE_PAGE.read_text(encoding="utf-8"), timezone=MOSCOW)


def test_it_imports_the_reference_page(db, page):
    result = import_page(page, section_name="Politics")
    article = result.article
    assert result.created
    assert result.comments_added == 15
    assert article.title == "Proposal for joint operations is not discussed."
    assert article.section.name == "Politics"
    assert article.comment_count == 15
    assert article.is_visible
    byline = article.byline_set.get()
    assert (byline.role, byline.author.name) == (
        "Observed and commented on",
        "Oleg Chuvakin",
    )
    assert byline.author.user is None
    numbers = list(
        Comment.objects.filter(article=article).values_list("number", flat=True)
    )
    assert numbers == [str(n) for n in range(1, 8)] + ["7.1"] + [
        str(n) for n in range(8, 15)
    ]
    reply = Comment.objects.get(article=article, number="7.1")
    assert reply.parent.number == "7"
    assert reply.author.username == "Aleksandr72"
    assert reply.created_at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M") == (
        "2016-05-25 09:37"
    )
    assert Comment.objects.get(article=article, number="7").emoticons == ["laughing"]


def test_it_creates_unclaimed_accounts_for_comment_authors(db, page):
    import_page(page)
    User = get_user_model()
    authors = User.objects.filter(comments__isnull=False).distinct()
    assert authors.count() == 15  # 14 top-level authors and Aleksandr72
    cossack = User.objects.get(username="Volga Cossack")
    assert not cossack.is_claimed
    assert not cossack.has_usable_password()


def test_it_stores_quotes_and_links_them(db, page):
    import_page(page)
    quotes = Quote.objects.select_related("comment").order_by(
        "comment__path", "position"
    )
    assert [(q.comment.number, q.source) for q in quotes] == [
        ("2", "article"),
        ("3", "article"),
        ("4", "article"),
        ("7.1", "parent"),
        ("7.1", "article"),
        ("12", "article"),
    ]
    reply = Comment.objects.get(number="7.1")
    assert 'href="#c7"' in reply.body_html
    assert "<blockquote>" in Comment.objects.get(number="2").body_html
    paragraph = Quote.objects.get(comment__number="2").paragraph
    assert f'href="#p-{paragraph}"' in Comment.objects.get(number="2").body_html
    assert f'id="p-{paragraph}"' in Article.objects.get().body_html


def test_it_shows_imported_text_literally(db, page):
    import_page(page)
    reply = Comment.objects.get(number="7.1")
    # "1) The US needs …" and "- Nothing new." are text, not Markdown lists.
    assert "<ol" not in reply.body_html
    assert "<ul" not in reply.body_html
    assert "1) The US needs to overthrow Assad" in reply.body_html
    assert "- Nothing new." in reply.body_html


def test_it_changes_nothing_when_imported_again(db, page):
    first = import_page(page)
    again = import_page(page)
    assert not again.created
    assert again.comments_added == 0
    assert again.accounts_created == 0
    assert Article.objects.count() == 1
    assert Comment.objects.count() == 15
    assert Author.objects.count() == 1
    again.article.refresh_from_db()
    assert again.article.thread_version == first.article.thread_version


def test_it_numbers_new_comments_after_the_imported_ones(db, page, alice, settings):
    from discussion import actions

    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    article = import_page(page).article
    comment = actions.post_comment(article=article, author=alice, body="Fifteenth")
    parent = Comment.objects.get(article=article, number="7.1")
    reply = actions.post_comment(article=article, author=alice, body="R", parent=parent)
    seven = Comment.objects.get(article=article, number="7")
    sibling = actions.post_comment(
        article=article, author=alice, body="S", parent=seven
    )
    assert (comment.number, reply.number, sibling.number) == ("15", "7.1.1", "7.2")


def test_the_command_imports_and_reports(db):
    out = run(
        str(REFERENCE_PAGE), "--section", "Politics", "--timezone", "Europe/Moscow"
    )
    assert "Imported 'Proposal for joint operations is not discussed.'" in out
    assert "15 new comments, 15 new unclaimed accounts" in out
    out = run(str(REFERENCE_PAGE))
    assert "Already present" in out
    assert "0 new comments" in out


def test_the_dry_run_prints_json_and_writes_nothing(db):
    out = run(str(REFERENCE_PAGE), "--dry-run", "--json", "--published", "2016-05-25")
    data = json.loads(out)
    assert data["site"] == "Military Review"
    assert data["article"]["authors"] == ["Oleg Chuvakin"]
    assert data["article"]["published_at"].startswith("2016-05-25T00:00:00+03:00")
    assert [c["number"] for c in data["comments"]][6:9] == ["7", "7.1", "8"]
    reply = data["comments"][7]
    assert reply["parent"] == "7"
    assert reply["created_at"] == "2016-05-25T09:37:00+03:00"
    assert reply["quotes"][0] == {
        "source": "parent",
        "text": "In a word, partners",
        "passage": "In a word, partners",
    }
    assert data["comments"][6]["emoticons"] == ["laughing"]
    assert not Article.objects.exists()
    assert not get_user_model().objects.exists()


def test_it_reads_timestamps_in_the_given_zone(db):
    data = json.loads(
        run(str(REFERENCE_PAGE), "--dry-run", "--json", "--timezone", "UTC")
    )
    assert data["comments"][0]["created_at"] == "2016-05-25T06:35:00+00:00"


def test_a_broken_page_names_the_line_and_writes_nothing(db, tmp_path):
    lines = REFERENCE_PAGE.read_text(encoding="utf-8").split("\n")
    index = next(
        i for i, line in enumerate(lines) if line.strip() == "Tim 25 May 2016 07: 46"
    )
    lines[index] = lines[index].replace("07: 46", "seven forty")
    broken = tmp_path / "broken.txt"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError, match=f"line {index + 1}:"):
        run(str(broken))
    assert not Article.objects.exists()
    assert not Comment.objects.exists()
    assert not get_user_model().objects.exists()


def nothing_written() -> bool:
    return not (
        Article.objects.exists()
        or Comment.objects.exists()
        or get_user_model().objects.exists()
        or Author.objects.exists()
    )


def test_broken_numbering_names_the_line_and_writes_nothing(db, tmp_path):
    text = REFERENCE_PAGE.read_text(encoding="utf-8")
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("  7. "))
    lines[index] = lines[index].replace("  7. ", "  8. ")
    broken = tmp_path / "numbering.txt"
    broken.write_text("\n".join(lines), encoding="utf-8")
    message = f"line {index + 1}: comment number 8 follows 6; expected 7"
    with pytest.raises(CommandError, match=message):
        run(str(broken))
    assert nothing_written()


def test_a_truncated_page_is_refused_and_writes_nothing(db, tmp_path):
    text = REFERENCE_PAGE.read_text(encoding="utf-8")
    # Cut right after a comment's heading, before its timestamp line.
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.index("  7. Tim") + len("  7. Tim\n")], "utf-8")
    with pytest.raises(CommandError, match="under comment 7, found end of file"):
        run(str(cut))
    assert nothing_written()


def test_a_page_without_comments_or_date_becomes_a_draft(db, tmp_path):
    # Found by bench/fuzz.py: the import used to fail on a NOT NULL
    # constraint, having no date to give the article.
    text = REFERENCE_PAGE.read_text(encoding="utf-8")
    head = tmp_path / "head.txt"
    head.write_text(text[: text.index("  1. Thunderbolt")], encoding="utf-8")
    assert "0 new comments" in run(str(head))
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    run(str(head), "--published", "2016-05-25")
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT  # already there: left alone


def test_a_failure_while_writing_leaves_nothing(db, page, monkeypatch):
    from importers import actions

    calls = {"n": 0}
    original = actions.render_body

    def fail_on_tenth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(actions, "render_body", fail_on_tenth)
    with pytest.raises(RuntimeError):
        import_page(page)
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_it_refuses_a_file_that_is_not_utf8(db, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Military Review\n\nTitle\n\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match="line 5: not UTF-8"):
        run(str(bad))


def test_it_refuses_bad_options(db):
    with pytest.raises(CommandError, match="Unknown time zone"):
        run(str(REFERENCE_PAGE), "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="--published"):
        run(str(REFERENCE_PAGE), "--published", "yesterday")
    with pytest.raises(CommandError, match="cannot read"):
        run("/nonexistent/page.txt")


def test_the_bundled_copy_is_the_shared_reference_page():
    from importers.management.commands.demo import REFERENCE_PAGE as DEMO_PAGE
    from importers.tests import SHARED_REFERENCE_PAGE

    assert DEMO_PAGE == REFERENCE_PAGE
    if not SHARED_REFERENCE_PAGE.exists():
        pytest.skip("no shared/ folder beside this checkout")
    assert REFERENCE_PAGE.read_bytes() == SHARED_REFERENCE_PAGE.read_bytes()
