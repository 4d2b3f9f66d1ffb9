"""Property-based checks of every operation against the published schema.

schemathesis reads /api/v1/openapi.json from the project's WSGI application
and sends generated requests to each operation with a real reader's token:
every answer must be documented (status, content type, body schema) and
none may be a server error.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import checks

from discussion import actions as discussion
from tribune.wsgi import application

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 25


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's connection open across requests, as Django's test
    client does: the handler would otherwise close it at the end of each
    request, and with it the transaction the test runs in."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def schema(db, wsgi_in_test_transaction):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def test_it_publishes_an_openapi_3_schema(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/v1/articles",
        "/api/v1/articles/{slug}",
        "/api/v1/articles/{slug}/comments",
        "/api/v1/me",
        "/api/v1/comments/{comment_id}",
        "/api/v1/comments/{comment_id}/vote",
        "/api/v1/comments/{comment_id}/reports",
    }
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_every_operation_conforms_to_the_schema(
    schema, article, alice, bob, token_of, no_rate_limit, settings
):
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    # Real objects for generated requests to reach past 404: bob's comments
    # (alice may vote on and report them) and alice's own (she may edit them).
    theirs = discussion.post_comment(article=article, author=bob, body="Bob's")
    discussion.post_comment(article=article, author=bob, body="Reply", parent=theirs)
    mine = discussion.post_comment(article=article, author=alice, body="Mine")
    # Deleted by the DELETE operation, so that the others keep `mine`.
    spare = discussion.post_comment(article=article, author=alice, body="Spare")
    headers = {"Authorization": f"Bearer {token_of(alice)}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    answers: dict[str, set[int]] = {}

    for operation in operations:
        own = spare if operation.method.upper() == "DELETE" else mine
        codes = answers.setdefault(operation.label, set())
        exercise(operation, [theirs.pk, own.pk], article.slug, headers, codes)

    # The generated requests reached past the refusals to a success on every
    # operation, not only to 400s and 404s.
    succeeded = {label for label, codes in answers.items() if min(codes) < 300}
    assert succeeded == {operation.label for operation in operations}, answers


def exercise(operation, comment_ids, slug, headers, codes: set[int]) -> None:
    """Send EXAMPLES generated requests to `operation`, validating each answer.

    Half of them name real objects (`slug`, one of `comment_ids`) instead of
    generated ones, so that they reach the operation's own rules.
    """

    @given(
        case=operation.as_strategy(),
        real=st.booleans(),
        comment_id=st.sampled_from(comment_ids),
    )
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, real, comment_id):
        parameters = case.path_parameters or {}
        if real and "slug" in parameters:
            parameters["slug"] = slug
        if real and "comment_id" in parameters:
            parameters["comment_id"] = comment_id
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        codes.add(response.status_code)

    run()
