"""Importing a Disqus export: `tribune import FILE --format disqus`."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from discussion.models import Comment, Quote
from importers.tests.test_import_wxr import WXR, counts, import_wxr, run, thread
from newsroom.models import Article

DISQUS = Path(__file__).resolve().parent / "samples" / "disqus.xml"
SYRIA = "http://old.example.com/2016/05/syria/"


@pytest.fixture(autouse=True)
def _site_url(settings):
    """The new site's address, which Disqus threads and maps point to."""
    settings.SITE_URL = "https://tribune.example"


def import_disqus(*args) -> str:
    return run(str(DISQUS), "--format", "disqus", *args)


def test_it_joins_comments_to_the_article_at_the_thread_url(db, article):
    out = import_disqus()
    assert "0 articles created, 1 matched; 8 comments added" in out
    comments = thread(article)
    assert list(comments) == ["1", "2", "2.1", "2.1.1", "3", "3.1", "4", "5"]
    assert comments["2.1.1"].parent == comments["2.1"]
    assert comments["2.1"].parent == comments["2"]
    assert comments["1"].body == "Америке невыгодно сотрудничество с Россией."
    assert comments["2"].body == "Одним словом, партнёры.\n\nНичего нового."
    assert comments["1"].created_at == datetime(2016, 5, 25, 3, 35, tzinfo=UTC)
    assert comments["3"].status == Comment.Status.DELETED
    assert comments["3"].body == ""
    assert comments["3.1"].status == Comment.Status.PUBLISHED
    assert comments["4"].status == Comment.Status.PENDING
    assert comments["5"].parent is None  # its parent is not in the export
    article.refresh_from_db()
    assert article.comment_count == 6
    assert article.comment_counter == 5
    quote = Quote.objects.get(comment=comments["2.1"])
    assert quote.source == "parent"
    assert 'href="#c2"' in comments["2.1"].body_html


def test_it_reports_what_it_leaves_out(db, article):
    out = import_disqus()
    assert "Not imported: 1 deleted, 1 spam, 1 threads deleted in Disqus." in out
    assert "comment 5010 (line 209) replies to 4999" in out
    assert "1 post(s) (the first at line 256) belong to thread 9999" in out
    assert "1 threads match no article" in out
    assert f"{SYRIA} (2 comments)" in out
    texts = " ".join(Comment.objects.values_list("body", flat=True))
    for absent in ("Buy now", "removed page", "not in the export.", "неутешительные"):
        assert absent not in texts


def test_anonymous_and_named_commenters_get_unclaimed_accounts(db, article):
    import_disqus()
    comments = thread(article)
    guest = comments["2"].author
    assert guest.username == "Гость"
    assert comments["2.1.1"].author == guest
    assert comments["3.1"].author.username == "Jose Muller"
    assert not get_user_model().objects.filter(is_claimed=True).exists()


def test_the_same_address_is_the_same_person_in_both_exports(db, article):
    import_wxr()
    users = get_user_model().objects.count()
    import_disqus()
    thunder = thread(article)["1"].author
    wordpress = thread(
        Article.objects.get(source_key__contains="old.example.com/2016/05/25")
    )
    assert thunder == wordpress["1"].author
    # Only the anonymous guest is new; everyone else gave the same address.
    assert get_user_model().objects.count() == users + 1


def test_it_changes_nothing_when_imported_again(db, article):
    import_disqus()
    before = counts()
    version = Article.objects.get(pk=article.pk).thread_version
    out = import_disqus()
    assert "0 comments added" in out
    assert "8 already present" in out
    assert counts() == before
    assert Article.objects.get(pk=article.pk).thread_version == version


def test_threads_without_an_article_become_drafts_on_request(db, article):
    out = import_disqus("--create-missing")
    assert "1 articles created, 1 matched; 10 comments added" in out
    draft = Article.objects.get(title="Сирия: итоги недели")
    assert draft.status == Article.Status.DRAFT
    assert not draft.is_visible
    assert list(thread(draft)) == ["1", "1.1"]


def test_map_file_moves_a_thread(db, article, section, tmp_path):
    moved = Article.objects.create(
        title="Итоги",
        slug="итоги",
        body="Текст.",
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=datetime(2016, 5, 27, tzinfo=UTC),
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps({"https://www.old.example.com/2016/05/syria": "/articles/итоги/"}),
        encoding="utf-8",
    )
    out = import_disqus("--map", str(mapping))
    assert "0 articles created, 2 matched; 10 comments added" in out
    assert list(thread(moved)) == ["1", "1.1"]


def test_the_dry_run_prints_each_thread_and_writes_nothing(db, article):
    data = json.loads(import_disqus("--dry-run", "--json"))
    assert [a["url"] for a in data["articles"]] == [
        "https://tribune.example/articles/joint-operations/",
        SYRIA,
    ]
    first, second = data["articles"]
    assert first["matches"] == article.get_absolute_url()
    assert second["matches"] is None
    assert second["article"]["title"] == "Сирия: итоги недели"
    assert [c["number"] for c in first["comments"]] == [
        "1",
        "2",
        "2.1",
        "2.1.1",
        "3",
        "3.1",
        "4",
        "5",
    ]
    assert first["comments"][0]["created_at"] == "2016-05-25T03:35:00+00:00"
    assert data["unmatched"] == [[SYRIA, 2]]
    assert counts()["comments"] == 0
    assert counts()["users"] == 0


def test_it_reads_a_wordpress_file_only_as_wordpress(db):
    with pytest.raises(
        CommandError, match="this is a WordPress export; use --format wxr"
    ):
        run(str(WXR), "--format", "disqus")
