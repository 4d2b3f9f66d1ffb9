from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from discussion import actions as discussion
from discussion.models import Comment
from discussion.tests.conftest import make_comments
from newsroom.models import Article, Author, Byline, Section, Source, Tag


def make_article(section, slug, *, hours_ago=1, status=Article.Status.PUBLISHED):
    return Article.objects.create(
        title=slug.title(),
        slug=slug,
        body="First paragraph.\n\nSecond paragraph.",
        section=section,
        status=status,
        published_at=timezone.now() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def newsroom(section):
    economy = Section.objects.create(name="Economy", slug="economy")
    oleg = Author.objects.create(name="Oleg Chuvakin", slug="oleg")
    syria = Tag.objects.create(name="Syria", slug="syria")
    older = make_article(section, "older", hours_ago=5)
    newer = make_article(economy, "newer", hours_ago=2)
    Byline.objects.create(article=newer, author=oleg, role="Observed by")
    newer.tags.add(syria)
    make_article(section, "draft", status=Article.Status.DRAFT)
    make_article(section, "scheduled", hours_ago=-5, status=Article.Status.SCHEDULED)
    return {"older": older, "newer": newer}


def slugs(response):
    return [item["slug"] for item in response.json()["items"]]


def test_it_lists_published_articles_newest_first(anonymous, newsroom):
    response = anonymous("GET", "/articles")
    assert response.status_code == 200
    data = response.json()
    assert slugs(response) == ["newer", "older"]
    assert (data["count"], data["page"], data["pages"]) == (2, 1, 1)
    newer = data["items"][0]
    assert newer["section"] == {"name": "Economy", "slug": "economy"}
    assert newer["authors"] == [
        {"name": "Oleg Chuvakin", "slug": "oleg", "role": "Observed by"}
    ]
    assert newer["tags"] == [{"name": "Syria", "slug": "syria"}]
    assert newer["url"] == "http://testserver/articles/newer/"
    # The site's zone, with its offset.
    assert newer["published_at"].endswith("+03:00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("section=economy", ["newer"]),
        ("section=politics", ["older"]),
        ("tag=syria", ["newer"]),
        ("author=oleg", ["newer"]),
        ("section=politics&tag=syria", []),
        ("section=nowhere", []),
    ],
)
def test_it_filters_articles(anonymous, newsroom, query, expected):
    assert slugs(anonymous("GET", f"/articles?{query}")) == expected


def test_it_pages_articles(anonymous, newsroom):
    first = anonymous("GET", "/articles?per_page=1").json()
    second = anonymous("GET", "/articles?per_page=1&page=2").json()
    beyond = anonymous("GET", "/articles?per_page=1&page=3").json()
    assert [first["pages"], first["items"][0]["slug"]] == [2, "newer"]
    assert second["items"][0]["slug"] == "older"
    assert beyond["items"] == []


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "page=x"])
def test_it_refuses_bad_paging(anonymous, newsroom, query):
    response = anonymous("GET", f"/articles?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_it_lists_in_the_same_queries_for_few_and_many(
    anonymous, section, django_assert_num_queries
):
    oleg = Author.objects.create(name="Oleg", slug="oleg")
    tag = Tag.objects.create(name="Syria", slug="syria")
    for count in (2, 40):
        Article.objects.all().delete()
        for index in range(count):
            article = make_article(section, f"a{index}")
            Byline.objects.create(article=article, author=oleg)
            article.tags.add(tag)
        with django_assert_num_queries(4):  # count, page, bylines, tags
            response = anonymous("GET", "/articles?per_page=100")
        assert len(response.json()["items"]) == count


def test_it_reads_an_article(anonymous, article):
    Source.objects.create(article=article, title="TASS", url="https://tass.ru/x")
    Source.objects.create(article=article, title="Bad", url="javascript:alert(1)")
    response = anonymous("GET", f"/articles/{article.slug}")
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == article.title
    assert data["body_html"].startswith('<p id="p-1">')
    assert data["sources"] == [
        {"title": "TASS", "url": "https://tass.ru/x"},
        {"title": "Bad", "url": ""},
    ]


def test_it_hides_unpublished_articles(anonymous, section):
    make_article(section, "draft", status=Article.Status.DRAFT)
    for path in ["/articles/draft", "/articles/draft/comments", "/articles/none"]:
        response = anonymous("GET", path)
        assert response.status_code == 404
        assert response.json()["detail"] == "No such article."


def thread(api, article, query=""):
    response = api("GET", f"/articles/{article.slug}/comments{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_reads_a_nested_numbered_thread(
    anonymous, article, alice, bob, no_rate_limit
):
    first = discussion.post_comment(article=article, author=alice, body="**One**")
    discussion.post_comment(
        article=article, author=bob, body="> One\n\nNo.", parent=first
    )
    discussion.post_comment(
        article=article,
        author=bob,
        body="> Noble Americans are fighting with bearded terrorists\n\nIndeed.",
    )
    data = thread(anonymous, article)
    assert (data["count"], data["total"], data["page"], data["pages"]) == (3, 3, 1, 1)
    one, two = data["comments"]
    assert [one["number"], two["number"]] == ["1", "2"]
    assert one["author"] == {"name": "alice", "rank": "Private", "reputation": 0}
    assert one["body_html"] == "<p><strong>One</strong></p>\n"
    assert one["created_at"].endswith("+03:00")
    assert one["status"] == "published"
    reply = one["replies"][0]
    assert (reply["number"], reply["depth"]) == ("1.1", 1)
    assert reply["quotes"][0]["source"] == "parent"
    assert reply["quotes"][0]["comment_number"] == "1"
    quote = two["quotes"][0]
    assert (quote["source"], quote["paragraph"]) == ("article", 2)


def test_it_shows_placeholders_and_hides_pending_comments(
    anonymous, article, alice, bob, no_rate_limit
):
    gone = discussion.post_comment(article=article, author=alice, body="Regret")
    discussion.post_comment(article=article, author=bob, body="Reply", parent=gone)
    discussion.delete_comment(comment=gone, user=alice)
    held = discussion.post_comment(article=article, author=bob, body="Held")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    data = thread(anonymous, article)
    assert len(data["comments"]) == 1
    placeholder = data["comments"][0]
    assert placeholder["status"] == "placeholder"
    assert placeholder["placeholder"] == "deleted"
    assert placeholder["body_html"] is None
    assert placeholder["author"] is None
    assert placeholder["replies"][0]["number"] == "1.1"
    assert "Held" not in str(data) and "Regret" not in str(data)


def test_it_follows_the_site_s_parts(anonymous, article, alice, bob, settings):
    settings.TRIBUNE_THREAD_PAGE_SIZE = 10
    make_comments(article, [alice, bob], 60)  # 24 top-level comments
    first = thread(anonymous, article)
    third = thread(anonymous, article, "?page=3")
    assert (first["pages"], third["page"]) == (3, 3)
    assert [c["number"] for c in first["comments"]] == [str(n) for n in range(1, 11)]
    assert [c["number"] for c in third["comments"]] == [str(n) for n in range(21, 25)]
    assert first["comments"][0]["replies"][0]["replies"][0]["number"] == "1.1.1"


def test_it_sorts_like_the_page(anonymous, article, alice, bob, no_rate_limit):
    discussion.post_comment(article=article, author=alice, body="Low")
    best = discussion.post_comment(article=article, author=alice, body="High")
    discussion.cast_vote(comment=best, user=bob, value=1)
    assert thread(anonymous, article, "?sort=best")["comments"][0]["number"] == "2"
    response = anonymous("GET", f"/articles/{article.slug}/comments?sort=worst")
    assert response.status_code == 400


@pytest.mark.parametrize("count", [10, 200])
def test_it_reads_a_thread_in_the_same_queries_for_few_and_many(
    anonymous, article, alice, bob, count, django_assert_num_queries
):
    make_comments(article, [alice, bob], count)
    cache.clear()
    # The article; the thread's shape; the text of the part; the quotes.
    with django_assert_num_queries(4):
        data = thread(anonymous, article)
    assert data["total"] == count
    # Warm: the article only, until the thread changes.
    with django_assert_num_queries(1):
        thread(anonymous, article)


def test_it_shows_a_new_comment_at_once(anonymous, article, alice, bob):
    assert thread(anonymous, article)["comments"] == []
    discussion.post_comment(article=article, author=alice, body="Fresh")
    assert thread(anonymous, article)["comments"][0]["number"] == "1"


def test_it_reads_an_article_with_a_cyrillic_slug(anonymous, section):
    make_article(section, "совместные-операции")
    response = anonymous("GET", "/articles/совместные-операции")
    assert response.status_code == 200
    assert response.json()["slug"] == "совместные-операции"
    assert anonymous("GET", "/articles/совместные-операции/comments").status_code == 200


def test_it_gives_only_sanitized_html(as_user, anonymous, article, alice, settings):
    settings.TRIBUNE_LINKS_MIN_TRUST = 0  # publish the link at once
    body = '<script>alert(1)</script> [x](javascript:alert(2)) <b onclick="y">z</b>'
    posted = as_user(alice)(
        "POST", f"/articles/{article.slug}/comments", {"body": body}
    )
    assert posted.status_code == 201
    html = thread(anonymous, article)["comments"][0]["body_html"]
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "<b " not in html
    assert posted.json()["body_html"] == html


def test_me_needs_a_reader(anonymous, db):
    response = anonymous("GET", "/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_it_answers_an_unchanged_thread_with_304(
    anonymous, article, alice, no_rate_limit
):
    discussion.post_comment(article=article, author=alice, body="Hello")
    first = anonymous("GET", f"/articles/{article.slug}/comments")
    again = anonymous(
        "GET", f"/articles/{article.slug}/comments", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    cache.clear()
    cold = anonymous("GET", f"/articles/{article.slug}/comments")
    assert cold.content == first.content
    discussion.post_comment(article=article, author=alice, body="Again")
    changed = anonymous(
        "GET", f"/articles/{article.slug}/comments", HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
