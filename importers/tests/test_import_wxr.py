"""Importing a WordPress export: `tribune import FILE --format wxr`."""

import json
import zoneinfo
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from discussion.models import Comment, Quote
from importers.models import ImportedAuthor, ImportedComment
from newsroom.models import Article

SAMPLES = Path(__file__).resolve().parent / "samples"
WXR = SAMPLES / "wordpress.xml"
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
TITLE = "Предложение о совместных операциях не обсуждается"


@pytest.fixture(autouse=True)
def _site_url(settings):
    """The new site's address, which Disqus threads and maps point to."""
    settings.SITE_URL = "https://tribune.example"


def run(*args) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def import_wxr(path=WXR, *args) -> str:
    return run(str(path), "--format", "wxr", "--timezone", "Europe/Moscow", *args)


def thread(article) -> dict[str, Comment]:
    return {
        c.number: c
        for c in Comment.objects.filter(article=article).select_related(
            "parent", "author"
        )
    }


def counts() -> dict[str, int]:
    return {
        "articles": Article.objects.count(),
        "comments": Comment.objects.count(),
        "users": get_user_model().objects.count(),
        "quotes": Quote.objects.count(),
        "imported": ImportedComment.objects.count(),
        "authors": ImportedAuthor.objects.count(),
    }


def test_it_imports_articles_with_numbered_threads(db):
    out = import_wxr()
    assert "3 articles created" in out
    assert "12 comments added (1 pending review, 1 placeholders)" in out
    assert "1 attachment items, 1 deleted, 1 pingbacks and trackbacks, 1 spam" in out
    article = Article.objects.get(title=TITLE)
    assert article.slug == "совместные-операции"
    assert article.section.name == "Политика"
    assert [t.name for t in article.tags.all()] == ["Сирия"]
    assert [a.name for a in article.authors.all()] == ["Олег Чуваков"]
    assert article.published_at == datetime(2016, 5, 25, 3, 0, tzinfo=UTC)
    assert article.is_visible
    assert article.body.startswith("Американцы в очередной раз")
    comments = thread(article)
    assert list(comments) == [
        "1",
        "2",
        "2.1",
        "2.1.1",
        "3",
        "4",
        "4.1",
        "5",
        "6",
        "7",
        "8",
    ]
    assert comments["2.1"].parent == comments["2"]
    assert comments["2.1.1"].parent == comments["2.1"]
    assert comments["2.1.1"].depth == 2
    assert comments["1"].body == "Америке невыгодно сотрудничество с Россией."
    # Tags go, entities are decoded, and the text shows literally.
    assert comments["2.1.1"].body == "Спасибо, коллега \\& соратник!"
    assert "1) США нужно свергнуть Асада" in comments["2.1"].body_html
    assert "<ol" not in comments["2.1"].body_html
    assert article.comment_count == 9  # published only
    assert article.comment_counter == 8
    assert comments["2"].reply_counter == 1
    assert comments["2.1"].reply_counter == 1
    assert comments["1"].reply_counter == 0
    assert article.comments_open
    about = Article.objects.get(title="About")
    assert about.comments.count() == 0
    assert not about.comments_open  # closed on the old site
    assert about.published_at == datetime(2016, 1, 1, 9, 0, tzinfo=UTC)


def test_it_keeps_unapproved_for_moderators_and_deleted_as_placeholders(db):
    import_wxr()
    comments = thread(Article.objects.get(title=TITLE))
    pending = comments["3"]
    assert pending.status == Comment.Status.PENDING
    assert pending.hold_reason == "not approved on the old site"
    assert pending.body == "Первый комментарий, ждёт проверки."
    placeholder = comments["4"]
    assert placeholder.status == Comment.Status.DELETED
    assert placeholder.body == ""
    assert comments["4.1"].status == Comment.Status.PUBLISHED
    texts = " ".join(Comment.objects.values_list("body", flat=True))
    # Spam, pingbacks, the deleted text and the deleted comment without
    # replies are not imported.
    for absent in ("Buy now", "как пишет", "автор удалил", "без ответов"):
        assert absent not in texts


def test_it_keeps_times_in_their_zones(db):
    data = json.loads(import_wxr(WXR, "--dry-run", "--json"))
    comments = {c["number"]: c for c in data["articles"][0]["comments"]}
    # Local and GMT clocks give the zone the site showed.
    assert comments["2"]["created_at"] == "2016-05-25T07:46:00+03:00"
    # Only the GMT time: UTC.
    assert comments["5"]["created_at"] == "2016-05-25T06:00:00+00:00"
    # Only the local time ("0000-00-00 00:00:00" GMT): read in --timezone.
    assert comments["8"]["created_at"] == "2016-05-25T23:15:00+03:00"
    import_wxr()
    stored = thread(Article.objects.get(title=TITLE))
    assert stored["2"].created_at == datetime(2016, 5, 25, 4, 46, tzinfo=UTC)
    assert stored["5"].created_at == datetime(2016, 5, 25, 6, 0, tzinfo=UTC)
    assert stored["8"].created_at == datetime(2016, 5, 25, 20, 15, tzinfo=UTC)


def test_without_gmt_times_the_timezone_option_counts(db):
    data = json.loads(
        run(str(WXR), "--format", "wxr", "--timezone", "UTC", "--dry-run", "--json")
    )
    comments = {c["number"]: c for c in data["articles"][0]["comments"]}
    assert comments["8"]["created_at"] == "2016-05-25T23:15:00+00:00"


def test_it_makes_unclaimed_accounts_one_per_commenter(db):
    out = import_wxr()
    assert "10 new unclaimed accounts" in out
    User = get_user_model()
    comments = thread(Article.objects.get(title=TITLE))
    # The same address in another case is the same person.
    assert comments["2"].author == comments["2.1.1"].author
    tim = comments["2"].author
    assert tim.username == "Tim"
    assert not tim.is_claimed
    assert not tim.has_usable_password()
    assert tim.email == ""  # the address is not kept
    # A name the site would not accept as a username is made acceptable.
    assert comments["4.1"].author.username == "Jose Muller"
    assert comments["1"].author.username == "Громовержец"
    moved = Article.objects.get(title="The moved article").comments.get()
    assert moved.author == comments["1"].author
    assert not User.objects.filter(is_claimed=True).exists()


def test_it_does_not_give_comments_to_a_claimed_account_of_the_same_name(
    db, django_user_model
):
    tim = django_user_model.objects.create_user(username="Tim", password="x" * 12)
    import_wxr()
    comments = thread(Article.objects.get(title=TITLE))
    assert comments["2"].author != tim
    assert comments["2"].author.username == "Tim 2"
    assert not tim.comments.exists()


def test_it_changes_nothing_when_imported_again(db):
    import_wxr()
    article = Article.objects.get(title=TITLE)
    before = counts()
    again = import_wxr()
    assert "0 articles created, 3 matched; 0 comments added" in again
    assert "12 already present; 0 new unclaimed accounts" in again
    assert counts() == before
    article.refresh_from_db()
    fresh = Article.objects.get(pk=article.pk)
    assert fresh.thread_version == article.thread_version
    assert fresh.comment_count == 9


def test_a_later_export_adds_only_the_new_comments(db, tmp_path):
    import_wxr()
    text = WXR.read_text(encoding="utf-8")
    new = """<wp:comment>
			<wp:comment_id>{id}</wp:comment_id>
			<wp:comment_author><![CDATA[Новый]]></wp:comment_author>
			<wp:comment_date><![CDATA[2016-05-26 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[2016-05-26 07:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[Позже.]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_parent>{parent}</wp:comment_parent>
		</wp:comment>
		"""
    anchor = "<wp:comment>\n\t\t\t<wp:comment_id>114</wp:comment_id>"
    text = text.replace(
        anchor,
        new.format(id=115, parent=102) + new.format(id=116, parent=0) + anchor,
    )
    later = tmp_path / "later.xml"
    later.write_text(text, encoding="utf-8")
    out = import_wxr(later)
    assert "2 comments added" in out
    comments = thread(Article.objects.get(title=TITLE))
    assert comments["2.2"].body == "Позже."
    assert comments["2.2"].parent.number == "2"
    assert comments["9"].body == "Позже."
    assert comments["9"].parent is None
    assert comments["2"].reply_counter == 2
    assert comments["6"].body.endswith("Это точно.")  # numbers did not move


def test_it_links_quotes_to_the_article_and_the_parent(db):
    import_wxr()
    article = Article.objects.get(title=TITLE)
    comments = thread(article)
    quotes = Quote.objects.filter(comment__article=article).order_by(
        "comment__path", "position"
    )
    assert [(q.comment.number, q.source) for q in quotes] == [
        ("2.1", "parent"),
        ("6", "article"),
    ]
    assert 'href="#c2"' in comments["2.1"].body_html
    assert 'href="#p-2"' in comments["6"].body_html
    assert "<blockquote>" in comments["6"].body_html


def test_map_joins_a_moved_article_to_its_new_address(db, article, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "old_url,new_url\n"
        "https://old.example.com/2016/06/01/moved/,"
        f"https://tribune.example{article.get_absolute_url()}\n",
        encoding="utf-8",
    )
    out = import_wxr(WXR, "--map", str(mapping))
    assert "2 articles created, 1 matched" in out
    assert not Article.objects.filter(title="The moved article").exists()
    comment = article.comments.get()
    assert comment.body == "Comment on the moved article."
    assert comment.number == "1"
    # A JSON map works the same, and the second run finds everything.
    json_map = tmp_path / "map.json"
    json_map.write_text(
        json.dumps({"http://old.example.com/2016/06/01/moved": article.slug}),
        encoding="utf-8",
    )
    again = import_wxr(WXR, "--map", str(json_map))
    assert "0 comments added" in again


def test_the_dry_run_prints_articles_in_the_page_shape_and_writes_nothing(db):
    from importers.reference_page import ParsedPage, page_to_json

    data = json.loads(import_wxr(WXR, "--dry-run", "--json"))
    assert [a["article"]["title"] for a in data["articles"]] == [
        TITLE,
        "About",
        "The moved article",
    ]
    first = data["articles"][0]
    shape = page_to_json(
        ParsedPage("", "", [], "", [], "", []), published_at=None
    ).keys()
    assert set(first) == set(shape) | {"url", "matches"}
    assert first["url"].startswith("https://old.example.com/2016/05/25/")
    assert first["site"] == "Военное обозрение"
    assert first["article"]["authors"] == ["Олег Чуваков"]
    reply = next(c for c in first["comments"] if c["number"] == "2.1")
    assert reply["parent"] == "2"
    assert reply["author"] == "Aleksandr72"
    assert reply["quotes"] == [
        {
            "source": "parent",
            "text": "Одним словом, партнёры.",
            "passage": "Одним словом, партнёры.",
        }
    ]
    assert {c["number"]: c["status"] for c in first["comments"]}["3"] == "pending"
    assert len(data["orphans"]) == 1
    assert "comment 113 (line 239) replies to 999" in data["orphans"][0]
    assert data["skipped"]["spam"] == 1
    assert counts() == {
        "articles": 0,
        "comments": 0,
        "users": 0,
        "quotes": 0,
        "imported": 0,
        "authors": 0,
    }


def test_the_dry_run_without_json_says_what_it_read(db):
    out = import_wxr(WXR, "--dry-run")
    assert "3 articles with 12 comments read" in out
    assert "nothing written" in out
    assert not Article.objects.exists()


def test_an_orphan_is_reported_and_imported_at_the_top(db):
    out = import_wxr()
    assert "Orphan:" in out
    assert "comment 113 (line 239)" in out
    orphan = thread(Article.objects.get(title=TITLE))["7"]
    assert orphan.parent is None
    assert orphan.author.username == "Сирота"


def test_the_summary_is_json_on_request(db):
    data = json.loads(import_wxr(WXR, "--json"))
    assert data["articles_created"] == 3
    assert data["comments_added"] == 12
    assert data["skipped"]["pingbacks and trackbacks"] == 1


def test_reimporting_runs_as_many_queries_for_large_threads_as_small(db, tmp_path):
    """A second run finds what is there with a fixed number of queries per
    article, however many comments the article has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    text = WXR.read_text(encoding="utf-8")
    extra = "".join(
        f"""<wp:comment><wp:comment_id>{900 + n}</wp:comment_id>
        <wp:comment_author>Reader {n}</wp:comment_author>
        <wp:comment_date_gmt>2016-05-27 07:00:00</wp:comment_date_gmt>
        <wp:comment_content>Comment {n}</wp:comment_content>
        <wp:comment_approved>1</wp:comment_approved>
        <wp:comment_parent>{900 + n - 1 if n % 2 else 0}</wp:comment_parent>
        </wp:comment>"""
        for n in range(60)
    )
    large = tmp_path / "large.xml"
    large.write_text(text.replace("</item>", extra + "</item>", 1), encoding="utf-8")

    def second_run(path) -> int:
        import_wxr(path)
        with CaptureQueriesContext(connection) as queries:
            import_wxr(path)
        return len(queries)

    small_queries = second_run(WXR)
    for depth in sorted(set(Comment.objects.values_list("depth", flat=True)))[::-1]:
        Comment.objects.filter(depth=depth).delete()  # replies protect parents
    Article.objects.all().delete()
    assert second_run(large) == small_queries


def test_an_article_address_on_another_host_is_not_this_site(db, article, tmp_path):
    """The old site's own /articles/<slug>/ is not Tribune's article."""
    text = WXR.read_text(encoding="utf-8").replace(
        "https://old.example.com/2016/06/01/moved/",
        f"https://old.example.com{article.get_absolute_url()}",
    )
    path = tmp_path / "same-path.xml"
    path.write_text(text, encoding="utf-8")
    out = import_wxr(path)
    assert "3 articles created, 0 matched" in out
    assert not article.comments.exists()


def test_it_fits_overlong_names_and_very_deep_threads(db, tmp_path):
    """What the database cannot hold as given is shortened, not an error."""
    replies = "".join(
        f"""<wp:comment><wp:comment_id>{n}</wp:comment_id>
        <wp:comment_author>{"Очень длинное имя " * 10}{n}</wp:comment_author>
        <wp:comment_date_gmt>2016-05-25 00:{n - 1:02d}:00</wp:comment_date_gmt>
        <wp:comment_content>Ответ {n}</wp:comment_content>
        <wp:comment_approved>1</wp:comment_approved>
        <wp:comment_parent>{n - 1}</wp:comment_parent></wp:comment>"""
        for n in range(1, 61)
    )
    path = tmp_path / "long.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
        f"<item><title>{'Заголовок ' * 60}</title>"
        "<link>https://old.example.com/long/</link>"
        f"<dc:creator>{'Автор ' * 60}</dc:creator>"
        f'<category domain="category"><![CDATA[{"Раздел " * 30}]]></category>'
        f'<category domain="post_tag"><![CDATA[{"Метка " * 30}]]></category>'
        "<wp:post_date_gmt>2016-05-25 00:00:00</wp:post_date_gmt>"
        f"<wp:status>publish</wp:status>{replies}</item></channel></rss>",
        encoding="utf-8",
    )
    out = import_wxr(path)
    assert "60 comments added" in out
    article = Article.objects.get()
    assert len(article.title) == 300
    assert len(article.section.name) == 100
    numbers = list(article.comments.values_list("number", flat=True))
    assert len(numbers) == 60
    assert max(n.count(".") for n in numbers) == 29  # MAX_DEPTH levels
    assert all(len(u.username) <= 40 for u in get_user_model().objects.all())


def test_commenters_forgotten_by_the_cache_are_found_again(db, monkeypatch):
    from importers.external import _Accounts

    monkeypatch.setattr(_Accounts, "CACHE", 1)
    out = import_wxr()
    assert "10 new unclaimed accounts" in out
    comments = thread(Article.objects.get(title=TITLE))
    assert comments["2"].author == comments["2.1.1"].author
    moved = Article.objects.get(title="The moved article").comments.get()
    assert moved.author == comments["1"].author


def test_imported_comments_are_found_by_search(db, client):
    """The comments go in without signals; the import indexes them itself."""
    import_wxr()
    page = client.get("/search/", {"q": "сотрудничество", "kind": "comments"})
    html = page.content.decode()
    assert 'class="search-hit' in html
    assert "<mark>сотрудничество</mark>" in html
