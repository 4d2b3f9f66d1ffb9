"""Search: /search/ over published articles and comments, on either database."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussion import actions as discussion_actions
from discussion.models import Comment, path_segment
from moderation import actions as moderation_actions
from newsroom import search
from newsroom.models import Article, Author, Byline, SearchDocument, Section

URL = reverse("newsroom-search")

RUSSIAN_BODY = """Российские войска получили новые ракеты.

Ракетами нового типа вооружены войска на юге страны."""


@pytest.fixture(autouse=True)
def _comments_allowed(no_rate_limit, settings):
    # Links and repeated texts are not what these tests are about.
    settings.TRIBUNE_LINKS_MIN_TRUST = 0
    settings.TRIBUNE_DUPLICATE_WINDOW = 0


@pytest.fixture
def economy(db):
    return Section.objects.create(name="Economy", slug="economy")


@pytest.fixture
def russian(section):
    return Article.objects.create(
        title="Ракета нового поколения",
        slug="raketa",
        body=RUSSIAN_BODY,
        section=section,
        language="ru",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=2),
    )


def _article(section, slug, title, body="Text.", **extra):
    extra.setdefault("status", Article.Status.PUBLISHED)
    extra.setdefault("published_at", timezone.now() - timedelta(hours=3))
    return Article.objects.create(
        title=title, slug=slug, body=body, section=section, **extra
    )


def _post(article, author, body, parent=None) -> Comment:
    return discussion_actions.post_comment(
        article=article, author=author, body=body, parent=parent
    )


def _search(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def _hits(response) -> list[search.Hit]:
    page = response.context["page"]
    return list(page.object_list) if page is not None else []


def _found(client, **params) -> set:
    """Articles (by slug) and comments (by number) the search finds."""
    return {
        f"{hit.article.slug}#{hit.comment.number}" if hit.comment else hit.article.slug
        for hit in _hits(_search(client, **params))
    }


# Finding things by other forms of their words


def test_it_finds_english_articles_by_other_forms_of_a_word(client, article):
    # The body says "terrorists" and "fighting".
    assert _found(client, q="terrorist") == {"joint-operations"}
    assert _found(client, q="fight") == {"joint-operations"}
    assert _found(client, q="Operation") == {"joint-operations"}  # the title
    assert _found(client, q="submarine") == set()


def test_it_says_so_when_nothing_is_found(client, article):
    content = _search(client, q="submarine").content.decode()
    assert "Nothing found for “submarine”. Try fewer words" in content
    assert '<ol class="search-results"' not in content
    one = _search(client, q="terrorist").content.decode()
    assert "1 result for “terrorist”" in one
    assert "Nothing found" not in one


def test_it_finds_russian_articles_and_comments_by_other_forms(client, russian, alice):
    _post(russian, alice, "Эти ракеты уже устарели, а войск не хватает.")
    assert _found(client, q="ракетами") == {"raketa", "raketa#1"}
    assert _found(client, q="войска") == {"raketa", "raketa#1"}
    assert _found(client, q="ракет войск") == {"raketa", "raketa#1"}
    assert _found(client, q="устарели") == {"raketa#1"}


def test_it_finds_english_comments_and_links_to_their_permalinks(
    client, article, alice, bob
):
    first = _post(article, alice, "Nobody believes the missile story.")
    reply = _post(article, bob, "The missiles were never there.", parent=first)
    response = _search(client, q="missiles")
    hits = _hits(response)
    assert {hit.comment.number for hit in hits} == {"1", "1.1"}
    assert reply.number == "1.1"
    content = response.content.decode()
    assert reverse("discussion-comment", args=[article.slug, "1.1"]) in content
    assert ">1.1</a>" in content
    assert "bob" in content and article.title in content


def test_it_ranks_title_matches_first(client, section):
    _article(section, "body", "Weather report", body="The sanctions bite.")
    _article(section, "title", "Sanctions", body="Nothing else to say.")
    hits = _hits(_search(client, q="sanctions"))
    assert [hit.article.slug for hit in hits] == ["title", "body"]


def test_it_matches_phrases_and_leaves_out_minus_words(client, section):
    _article(section, "one", "One", body="Joint operations in Syria went on.")
    _article(section, "two", "Two", body="Operations were joint in Syria.")
    assert _found(client, q='"joint operations"') == {"one"}
    assert _found(client, q="syria -went") == {"two"}
    assert _found(client, q="-syria") == set()


# Snippets


def test_it_highlights_the_matches_in_snippets(client, article):
    response = _search(client, q="terrorist")
    [hit] = _hits(response)
    assert "<mark>terrorists</mark>" in hit.snippet
    assert "<mark>terrorist</mark>" in hit.snippet
    assert "bearded" in hit.snippet
    assert "<mark>terrorists</mark>" in response.content.decode()


def test_it_highlights_matches_in_article_titles(client, article):
    [hit] = _hits(_search(client, q="operation"))
    assert "<mark>operations</mark>" in hit.title


def test_it_escapes_user_text_in_snippets(client, article, mallory):
    _post(
        article,
        mallory,
        'Read <script>alert("x")</script> about missiles '
        '<img src=x onerror="alert(1)"> and \ue000 fake \ue001 marks &amp; more',
    )
    response = _search(client, q="missiles")
    content = response.content.decode()
    [hit] = _hits(response)
    assert "<mark>missiles</mark>" in hit.snippet
    assert "<script>alert" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;" in hit.snippet
    assert "&lt;img src=x onerror=" in hit.snippet
    assert "marks &amp; more" in hit.snippet
    # Private-use characters typed by a reader never become marks.
    assert hit.snippet.count("<mark>") == 1
    assert "\ue000" not in content and "\ue001" not in content
    # What looks like markup is text, and searchable as such.
    assert _found(client, q="script onerror") == {"joint-operations#1"}


def test_it_escapes_the_query(client, article):
    query = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
    response = _search(client, q=query)
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_highlight_escapes_everything_but_its_own_marks():
    html = search.highlight("<b>\ue000x\ue001</b> \ue001 \ue000open")
    assert html == "&lt;b&gt;<mark>x</mark>&lt;/b&gt;  <mark>open</mark>"


# Filters


def test_it_filters_by_section(client, section, economy):
    _article(section, "politics-oil", "Oil and power", body="Oil prices.")
    _article(economy, "economy-oil", "Oil markets", body="Oil prices.")
    assert _found(client, q="oil", section="economy") == {"economy-oil"}
    assert _found(client, q="oil") == {"politics-oil", "economy-oil"}


def test_it_filters_by_author_and_reader(client, section, alice, bob):
    oleg = Author.objects.create(name="Oleg Chuvakin", slug="oleg", user=bob)
    by_oleg = _article(section, "by-oleg", "Tanks", body="Tanks roll.")
    Byline.objects.create(article=by_oleg, author=oleg)
    other = _article(section, "other", "More tanks", body="Tanks again.")
    _post(other, alice, "Tanks are old.")
    _post(other, bob, "Tanks are fine.")
    assert _found(client, q="tank", author="oleg") == {"by-oleg", "other#2"}
    assert _found(client, q="tank", author="Oleg Chuvakin") == {"by-oleg", "other#2"}
    assert _found(client, q="tank", author="ALICE") == {"other#1"}
    response = _search(client, q="tank", author="nobody")
    assert response.context["page"] is None
    assert "No byline author or reader goes by that name." in response.content.decode()


def test_it_filters_by_date_range(client, section, alice):
    now = timezone.now()
    old = _article(section, "old", "Old drones", published_at=now - timedelta(days=400))
    _article(section, "new", "New drones", published_at=now - timedelta(days=1))
    discussion_actions.post_comment(
        article=old, author=alice, body="Drones, again.", now=now - timedelta(days=3)
    )
    today = timezone.localdate()
    since = (today - timedelta(days=10)).isoformat()
    assert _found(client, q="drones", **{"from": since}) == {"new", "old#1"}
    until = (today - timedelta(days=2)).isoformat()
    assert _found(client, q="drones", to=until) == {"old", "old#1"}
    assert _found(client, q="drones", **{"from": since, "to": until}) == {"old#1"}


def test_it_filters_by_kind(client, article, alice):
    _post(article, alice, "Syria again.")
    assert _found(client, q="syria", kind="articles") == {"joint-operations"}
    assert _found(client, q="syria", kind="comments") == {"joint-operations#1"}


def test_it_explains_bad_filters_and_keeps_the_query(client, article):
    response = _search(client, q="syria", **{"from": "25.05.2016", "section": "x"})
    content = response.content.decode()
    assert "Enter the date as YYYY-MM-DD" in content
    assert "There is no such section" in content
    assert 'value="syria"' in content
    assert response.context["page"] is None
    response = _search(client, q="syria", **{"from": "2016-05-25", "to": "2016-05-01"})
    assert "The end date is before the start date." in response.content.decode()
    for far in ("0001-01-01", "9999-12-31"):
        response = _search(client, q="syria", **{"from": far, "to": far})
        assert "Enter a year between 1900 and 2999." in response.content.decode()


# Hidden things stay hidden


def test_it_never_shows_drafts_scheduled_articles_or_their_comments(
    client, section, article, alice
):
    draft = _article(section, "draft", "Secret rockets", status=Article.Status.DRAFT)
    _article(
        section,
        "later",
        "Scheduled rockets",
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )
    due = _article(
        section,
        "due",
        "Due rockets",
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
    )
    Comment.objects.create(
        article=draft,
        author=alice,
        number="1",
        path=path_segment(1),
        body="Rockets on a draft.",
        created_at=timezone.now(),
    )
    assert _found(client, q="rockets") == {due.slug}


def test_it_never_shows_pending_removed_or_deleted_comments(
    client, article, alice, bob, mallory, maude, settings
):
    removed = _post(article, alice, "Howitzers are loud.")
    moderation_actions.remove_comment(actor=maude, comment=removed, reason="rude")
    deleted = _post(article, bob, "Howitzers are heavy.")
    discussion_actions.delete_comment(comment=deleted, user=bob)
    settings.TRIBUNE_PREMODERATE_NEW_READERS = 5
    pending = _post(article, mallory, "Howitzers are great.")
    assert pending.status == Comment.Status.PENDING
    assert _found(client, q="howitzer") == set()
    moderation_actions.approve_comment(actor=maude, comment=pending)
    assert _found(client, q="howitzer") == {"joint-operations#3"}


# The index follows every write


def test_it_follows_comment_edits_removals_and_restores(client, article, alice, maude):
    comment = _post(article, alice, "Frigates are coming.")
    assert _found(client, q="frigate") == {"joint-operations#1"}
    discussion_actions.edit_comment(
        comment=comment, editor=alice, body="Corvettes are coming."
    )
    assert _found(client, q="frigate") == set()
    assert _found(client, q="corvette") == {"joint-operations#1"}
    moderation_actions.remove_comment(actor=maude, comment=comment, reason="spam")
    assert _found(client, q="corvette") == set()
    moderation_actions.restore_comment(actor=maude, comment=comment)
    assert _found(client, q="corvette") == {"joint-operations#1"}


def test_it_follows_article_edits_unpublishing_and_deletion(client, article, alice):
    _post(article, alice, "Syria, Syria.")
    article.title = "Submarines are not discussed"
    article.save()
    assert _found(client, q="submarine") == {"joint-operations"}
    assert _found(client, q="proposal") == set()
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status"])
    assert _found(client, q="syria") == set()
    article.status = Article.Status.PUBLISHED
    article.save()
    assert _found(client, q="syria") == {"joint-operations", "joint-operations#1"}
    article.delete()
    assert _found(client, q="syria") == set()
    assert not SearchDocument.objects.exists()


def test_comments_follow_their_articles_language(client, article, alice):
    comment = _post(article, alice, "Ракетами стреляли.")
    document = SearchDocument.objects.get(comment=comment)
    assert document.language == "en"
    article.language = "ru"
    article.save()
    document.refresh_from_db()
    assert document.language == "ru"
    assert _found(client, q="ракета") == {"joint-operations#1"}


def _bulk_comments(article, authors, count, text="Artillery duel number {n}."):
    """Insert comments with bulk_create (no signals), then index them."""
    now = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            article=article,
            author=authors[n % len(authors)],
            number=str(n),
            path=path_segment(n),
            body=text.format(n=n),
            created_at=now - timedelta(seconds=n),
        )
        for n in range(1, count + 1)
    )
    return search.reindex_article(article)


def test_reindex_article_indexes_bulk_writes(client, article, alice):
    assert _bulk_comments(article, [alice], 3) == 4
    assert len(_found(client, q="artillery")) == 3
    assert SearchDocument.objects.filter(article=article).count() == 4


def test_the_reindex_command_rebuilds_everything(client, article, russian, alice):
    _post(article, alice, "Cruise missiles.")
    SearchDocument.objects.all().delete()
    assert _found(client, q="missile") == set()
    call_command("reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _found(client, q="missile") == {"joint-operations#1"}
    assert _found(client, q="ракетами") == {"raketa"}
    assert SearchDocument.objects.count() == 3


def test_imported_pages_are_searchable(client, db):
    import zoneinfo

    from importers.actions import import_page
    from importers.reference_page import parse_page
    from importers.tests import REFERENCE_PAGE

    page = parse_page(
        REFERENCE_PAGE.read_text(encoding="utf-8"),
        timezone=zoneinfo.ZoneInfo("Europe/Moscow"),
    )
    result = import_page(page, section_name="Politics")
    hits = _hits(_search(client, q="terrorists", kind="comments"))
    assert hits and all(hit.article == result.article for hit in hits)
    assert SearchDocument.objects.filter(article=result.article).count() == 1 + len(
        page.comments
    )
    assert _found(client, q="bathhouse") == {f"{result.article.slug}#7.1"}


# Snippets of long texts


def test_long_texts_give_short_snippets_around_the_matches(client, section):
    words = [f"filler{n}" for n in range(600)]
    words[300:303] = ["the", "hypersonic", "glider."]
    _article(section, "long", "Long read", body=" ".join(words))
    [hit] = _hits(_search(client, q="hypersonic"))
    assert "<mark>hypersonic</mark>" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) < 700
    assert "filler0 " not in hit.snippet


def test_snippet_prefers_the_window_with_the_most_different_words():
    text = " ".join(
        ["oil"] + [f"x{n}" for n in range(100)] + ["oil", "and", "gas"] + ["y"] * 100
    )
    snippet = search._snippet(text, {"oil", "gas"})
    assert f"{search.MARK_START}oil{search.MARK_END} and " in snippet
    assert f"{search.MARK_START}gas{search.MARK_END}" in snippet
    assert snippet.startswith("… ")


# Hostile input


def _hostile_queries() -> list[str]:
    pieces = [
        '"',
        '""',
        "'",
        "*",
        "a*",
        "*a",
        "NEAR",
        "NEAR(a b)",
        "NEAR(",
        "-",
        "--",
        "- -",
        "(",
        ")",
        "()",
        "((a)",
        "a OR",
        "OR b",
        "AND",
        "NOT",
        "a NOT",
        "^",
        "^a",
        "{a b}:c",
        "title:x",
        "body_terms:x",
        ":",
        "+",
        "a & b",
        "a | b",
        "!a",
        "<->",
        "a <-> b",
        "a:*",
        "\\",
        "%",
        "%s",
        "%(x)s",
        "_",
        ";",
        "'; DROP TABLE newsroom_article; --",
        "\x00",
        "a\x00b",
        "\ue000",
        "\ue001x",
        "😀",
        "ракета\u0301",
        "ё",
        "ǅ",
        "ﬁ",
        "١٢٣",
        "\u200b",
        "\t\n",
        " ",
        '-"syria"',
        '"unbalanced syria',
        'syria"',
        '-"',
        "NEAR/3",
        "a NEAR/3 b",
        "Syria*",
    ]
    rng = random.Random(7)
    queries = list(pieces)
    while len(queries) < 95:
        queries.append(" ".join(rng.choice(pieces) for _ in range(rng.randint(2, 6))))
    queries += [
        "syria " * 200,
        "x" * 5000,
        '"' * 300,
        "-a " * 100,
        "(" * 500 + "syria",
    ]
    return queries


def test_it_survives_hostile_queries(client, article, alice):
    _post(article, alice, "Syria and NEAR and OR and NOT.")
    queries = _hostile_queries()
    assert len(queries) == 100
    for query in queries:
        response = client.get(URL, {"q": query, "author": query[:200]})
        assert response.status_code == 200, query
        response = client.get(URL, {"q": query, "section": query, "from": query})
        assert response.status_code == 200, query


def test_parse_query_caps_and_cleans():
    many = " ".join(f"w{n}" for n in range(300))
    query = search.parse_query(f'Syria "joint  operations" -"bearded men" -x {many}')
    assert query.include[:2] == (("syria",), ("joint", "operations"))
    assert query.exclude == (("bearded", "men"), ("x",))
    assert len(query.include) + len(query.exclude) == search.MAX_CLAUSES
    assert len(query.text) <= search.MAX_QUERY_LENGTH
    # Punctuation inside a word joins its parts as a phrase, as in "e-mail".
    assert search.parse_query("NEAR(a b)").include == (("near", "a"), ("b",))
    assert not search.parse_query('* - ( ) "" \x00')


# The page


def test_an_empty_query_shows_the_form(client, article):
    response = _search(client)
    assert response.context["page"] is None
    assert 'name="q"' in response.content.decode()
    response = _search(client, q="  *  ")
    assert response.context["page"] is None
    assert "Type a word to search for" in response.content.decode()


def test_every_page_has_the_search_form_in_its_header(client, article):
    content = client.get(reverse("newsroom-front")).content.decode()
    assert f'action="{URL}"' in content
    assert 'role="search"' in content


def test_it_paginates_and_keeps_the_query_and_filters(
    client, article, alice, monkeypatch
):
    monkeypatch.setattr(search, "RESULTS_PER_PAGE", 10)
    _bulk_comments(article, [alice], 25)
    response = _search(client, q="artillery", kind="comments")
    page = response.context["page"]
    assert page.paginator.count == 25
    assert len(page.object_list) == 10
    content = response.content.decode()
    assert "q=artillery&amp;kind=comments&amp;page=2" in content
    page3 = _search(client, q="artillery", kind="comments", page=3).context["page"]
    assert len(page3.object_list) == 5
    numbers = set()
    for number in (1, 2, 3):
        page = _search(client, q="artillery", kind="comments", page=number)
        numbers |= {hit.comment.number for hit in _hits(page)}
    assert len(numbers) == 25
    # A page past the end shows the last one.
    assert _search(client, q="artillery", page=99).context["page"].number == 3


def test_it_runs_the_same_queries_for_5_and_50_results(
    client, section, alice, bob, monkeypatch
):
    monkeypatch.setattr(search, "RESULTS_PER_PAGE", 100)
    oleg = Author.objects.create(name="Oleg", slug="oleg")

    def make(count, prefix):
        for n in range(count):
            article = _article(section, f"{prefix}-{n}", f"Drones {prefix} {n}")
            Byline.objects.create(article=article, author=oleg)
        _bulk_comments(article, [alice, bob], count, text="Drones {n}.")

    make(5, "few")
    params = {"q": "drones", "section": "politics", "author": "oleg"}
    _search(client, q="warm")  # the site's name and mode, cached for later pages
    with CaptureQueriesContext(connection) as few:
        response = _search(client, **params)
    assert len(_hits(response)) == 5
    SearchDocument.objects.all().delete()
    make(50, "many")
    with CaptureQueriesContext(connection) as many:
        response = _search(client, **params)
    assert len(_hits(response)) == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    # The section checked and listed, the author and the reader, the count,
    # the hits, their articles and their bylines: nothing per hit.
    assert len(few.captured_queries) == 8
    params["author"] = ""
    with CaptureQueriesContext(connection) as mixed:
        response = _search(client, **params)
    assert len(_hits(response)) == 100
    assert len(mixed.captured_queries) == len(few.captured_queries) - 2 + 1


def test_a_comment_prepared_before_saving_gets_the_same_document(article, alice):
    """Posting works out the document before the write transaction; the
    document saved is the one the signal would have made."""
    body = "**Bold** words about [the fleet](https://example.org) and\n\n> a quote"
    plain = Comment(
        article=article,
        author=alice,
        number="1",
        path="0001",
        body=body,
        created_at=timezone.now(),
    )
    plain.save()
    prepared = Comment(
        article=article,
        author=alice,
        number="2",
        path="0002",
        body=body,
        created_at=timezone.now(),
    )
    search.prepare_comment(prepared)
    prepared.save()
    fields = ["language", "title", "body", "title_terms", "body_terms"]
    [made, ahead] = [
        SearchDocument.objects.values(*fields).get(comment=c) for c in (plain, prepared)
    ]
    assert ahead == made
    assert "Bold words about the fleet" in ahead["body"]


def test_a_prepared_comment_whose_text_changed_is_worked_out_again(article, alice):
    comment = Comment(
        article=article,
        author=alice,
        number="1",
        path="0001",
        body="first text",
        created_at=timezone.now(),
    )
    search.prepare_comment(comment)
    comment.body = "second text"
    comment.save()
    assert SearchDocument.objects.get(comment=comment).body == "second text"
