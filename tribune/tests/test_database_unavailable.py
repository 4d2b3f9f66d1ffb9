"""While the database is not answering: a 503 that says so, not a bare 500.

The database is made unreachable by making every query fail as psycopg
fails when no server answers (an OperationalError without a SQLSTATE);
tests/faults/test_postgres_dies.py stops a real PostgreSQL under load.
"""

import pytest
from django.db import DatabaseError, OperationalError, ProgrammingError
from django.db.backends import utils
from django.test import Client
from django.urls import reverse

from lib.db import database_unavailable

MESSAGE = "The site&#x27;s database is not answering; try again in a minute."


class _ServerError(Exception):
    """Stands for a driver's error: sqlstate as psycopg gives it."""

    def __init__(self, message, sqlstate):
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(django_error, message, sqlstate):
    """A Django database error caused by a driver error, as Django raises it."""
    try:
        raise django_error(message) from _ServerError(message, sqlstate)
    except django_error as error:
        return error


@pytest.fixture
def database_down(article, monkeypatch):
    """Every query fails as when PostgreSQL is gone (the setup went through)."""

    def refuse(*args, **kwargs):
        raise _wrapped(OperationalError, "connection refused", None)

    # Undone at this fixture's teardown, before the others query again.
    with monkeypatch.context() as patch:
        patch.setattr(utils.CursorWrapper, "_execute_with_wrappers", refuse)
        yield


@pytest.fixture
def browser():
    # The site's own error handling answers instead of the test client raising.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(OperationalError, "connection refused", None), True),
        (_wrapped(OperationalError, "connection failure", "08006"), True),
        (_wrapped(OperationalError, "terminating (admin shutdown)", "57P01"), True),
        (
            _wrapped(OperationalError, "the database system is starting up", "57P03"),
            True,
        ),
        (_wrapped(OperationalError, "too many connections", "53300"), True),
        (_wrapped(OperationalError, "deadlock detected", "40P01"), False),
        (_wrapped(ProgrammingError, "relation does not exist", "42P01"), False),
        (OperationalError("database is locked"), True),
        (OperationalError("unable to open database file"), True),
        (OperationalError("no such table: newsroom_article"), False),
        (DatabaseError("something else"), False),
        (ValueError("not the database"), False),
        (None, False),
    ],
)
def test_it_tells_an_unreachable_database_from_a_fault(error, unavailable):
    assert database_unavailable(error) is unavailable


def test_it_counts_a_closed_connection_as_unavailable():
    from django.db import InterfaceError

    assert database_unavailable(InterfaceError("connection already closed"))


def test_it_answers_a_reader_with_a_503_page(database_down, browser, article):
    response = browser.get(article.get_absolute_url())
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert MESSAGE in content
    assert "<h1>Temporarily unavailable</h1>" in content


def test_it_answers_a_form_with_the_503_page(database_down, browser, article):
    response = browser.post(
        reverse("discussion-post", args=[article.slug]), {"body": "Hello"}
    )
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()


def test_it_answers_the_api_in_json(database_down, browser, article):
    response = browser.get(f"/api/v1/articles/{article.slug}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    assert "not answering" in response.json()["detail"]


def test_it_speaks_the_readers_language(database_down, browser, article):
    response = browser.get(article.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503
    assert "База данных сайта не отвечает" in response.content.decode()


def test_healthz_says_the_database_is_down(database_down, browser):
    response = browser.get(reverse("tribune-healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_other_errors_stay_a_500(db, browser, article, monkeypatch):
    def broken(*args, **kwargs):
        raise _wrapped(ProgrammingError, "relation does not exist", "42P01")

    with monkeypatch.context() as patch:
        patch.setattr(utils.CursorWrapper, "_execute_with_wrappers", broken)
        response = browser.get(article.get_absolute_url())
    assert response.status_code == 500
    assert "Retry-After" not in response
