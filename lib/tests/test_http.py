"""Where a form may send a reader next, and whose address a request comes from."""

import pytest
from django.test import RequestFactory

from lib.http import client_ip, safe_next


@pytest.fixture
def rf():
    return RequestFactory()


def test_it_follows_a_next_path_on_this_site(rf):
    request = rf.get("/accounts/signin/", {"next": "/articles/x/?sort=new#c-2"})

    assert safe_next(request) == "/articles/x/?sort=new#c-2"


def test_it_prefers_the_posted_next(rf):
    request = rf.post("/accounts/signin/?next=/tags/a/", {"next": "/articles/x/"})

    assert safe_next(request) == "/articles/x/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "http://testserver.evil.example/",
        "//evil.example",
        "//evil.example/articles/x/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "articles/x/",
        "",
    ],
)
def test_it_refuses_a_next_elsewhere(rf, target):
    request = rf.get("/accounts/signin/", {"next": target})

    assert safe_next(request) == "/"
    assert safe_next(request, fallback="/articles/x/") == "/articles/x/"


def test_it_refuses_an_absolute_url_even_to_this_host(rf):
    request = rf.get("/", {"next": "http://testserver/articles/x/"})

    assert safe_next(request) == "/"


def test_it_uses_the_connection_address_without_a_trusted_header(rf, settings):
    settings.TRIBUNE_CLIENT_IP_HEADER = ""
    request = rf.get("/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9")

    # A reader cannot pick their own address by sending the header.
    assert client_ip(request) == "10.0.0.7"


def test_it_uses_the_last_address_in_the_trusted_header(rf, settings):
    settings.TRIBUNE_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    request = rf.get(
        "/",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.2 , 203.0.113.9",
    )

    # Earlier entries are whatever the client claimed; the proxy adds the last.
    assert client_ip(request) == "203.0.113.9"


def test_it_falls_back_to_the_connection_when_the_header_is_missing(rf, settings):
    settings.TRIBUNE_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = rf.get("/", REMOTE_ADDR="10.0.0.7")

    assert client_ip(request) == "10.0.0.7"


def test_it_reads_a_single_address_header(rf, settings):
    settings.TRIBUNE_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="2001:db8::1")

    assert client_ip(request) == "2001:db8::1"
