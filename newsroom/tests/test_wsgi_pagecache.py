"""Anonymous article pages answered by the WSGI layer, before Django runs."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from discussion import actions
from newsroom.pagecache import WSGIPageCache


class Answer:
    def __init__(self, status, headers, body, entered_django):
        self.status = status
        self.headers = dict(headers)
        self.body = body
        self.entered_django = entered_django


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """A real request closes old connections when it starts and ends, which
    would close the test's transaction; Django's test client skips that too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def app():
    return WSGIPageCache(get_wsgi_application())


def call(app, path, *, method="get", queries=None, **extra) -> Answer:
    environ = getattr(RequestFactory(), method)(path, **extra).environ
    seen = []
    started = []

    def start_response(status, headers, exc_info=None):
        seen.append((status, headers))

    def on_start(**kwargs):
        started.append(True)

    request_started.connect(on_start)
    try:
        with CaptureQueriesContext(connection) as captured:
            result = app(environ, start_response)
            body = b"".join(result)
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.disconnect(on_start)
    if queries is not None:
        queries.append(len(captured))
    status, headers = seen[0]
    return Answer(status, headers, body, bool(started))


def test_it_answers_a_page_it_has_seen_without_entering_django(
    app, article, trusted_versions
):
    url = article.get_absolute_url()
    first = call(app, url)
    queries = []
    second = call(app, url, queries=queries)
    assert first.entered_django
    assert not second.entered_django
    assert queries == [0]
    assert second.status == "200 OK"
    assert second.body == first.body
    assert article.title in second.body.decode()


def test_the_page_keeps_the_headers_django_gave_it(app, article):
    url = article.get_absolute_url()
    first = call(app, url)
    second = call(app, url)
    assert not second.entered_django
    for name in (
        "Content-Type",
        "ETag",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
    ):
        assert second.headers[name] == first.headers[name], name
    assert "Set-Cookie" not in second.headers


def test_a_page_from_the_shared_cache_is_kept_too(app, client, article):
    """A page stored by another process (here: the test client) is served by
    Django's middleware once, then by this layer."""
    url = article.get_absolute_url()
    client.get(url)
    assert call(app, url).entered_django
    assert not call(app, url).entered_django


def test_a_new_comment_is_shown_at_once(app, article, alice):
    url = article.get_absolute_url()
    call(app, url)
    call(app, url)
    actions.post_comment(article=article, author=alice, body="Breaking news")
    fresh = call(app, url)
    assert fresh.entered_django
    assert "Breaking news" in fresh.body.decode()


def test_if_none_match_gets_304(app, article):
    url = article.get_absolute_url()
    etag = call(app, url).headers["ETag"]
    answer = call(app, url, HTTP_IF_NONE_MATCH=etag)
    assert not answer.entered_django
    assert answer.status.startswith("304")
    assert answer.body == b""


def test_a_reader_with_a_session_goes_to_django(app, client, article, alice):
    url = article.get_absolute_url()
    call(app, url)
    call(app, url)
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    answer = call(app, url, HTTP_COOKIE=f"sessionid={session}")
    assert answer.entered_django
    assert "Sign out" in answer.body.decode()


def test_a_pending_message_goes_to_django(app, article):
    url = article.get_absolute_url()
    call(app, url)
    assert call(app, url, HTTP_COOKIE="messages=x").entered_django


def test_other_methods_and_pages_go_to_django(app, article):
    url = article.get_absolute_url()
    call(app, url)
    assert call(app, url, method="head").entered_django
    assert call(app, "/").entered_django
    assert call(app, "/").entered_django


def test_a_host_django_refuses_is_refused(app, article):
    url = article.get_absolute_url()
    call(app, url)
    answer = call(app, url, HTTP_HOST="evil.example")
    assert answer.entered_django
    assert answer.status.startswith("400")


def test_the_host_and_query_are_part_of_the_key(app, article, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    url = article.get_absolute_url()
    call(app, url)
    assert call(app, url, HTTP_HOST="other.example").entered_django
    assert call(app, url + "?sort=newest").entered_django
    assert not call(app, url + "?sort=newest").entered_django


def test_plain_http_is_redirected_when_https_is_required(article, settings):
    url = article.get_absolute_url()
    secure = {"wsgi.url_scheme": "https"}
    settings.SECURE_SSL_REDIRECT = True
    # Django's SecurityMiddleware reads the setting when the handler is built.
    app = WSGIPageCache(get_wsgi_application())
    call(app, url, **secure)
    assert not call(app, url, **secure).entered_django
    answer = call(app, url)
    assert answer.entered_django
    assert answer.status.startswith("301")


def test_it_keeps_a_bounded_number_of_pages(article, section):
    from newsroom.models import Article

    app = WSGIPageCache(get_wsgi_application(), entries=2)
    others = [
        Article.objects.create(
            title=f"Other {n}",
            slug=f"other-{n}",
            body="Text.",
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=article.published_at,
        )
        for n in range(3)
    ]
    for other in others:
        call(app, other.get_absolute_url())
    assert len(app._pages) == 2
    assert call(app, others[0].get_absolute_url()).entered_django
    assert not call(app, others[2].get_absolute_url()).entered_django
