import pytest

from discussion.tests.conftest import article, no_rate_limit, section  # noqa: F401


@pytest.fixture
def comment(article, alice):  # noqa: F811 - the imported fixture
    from discussion import actions

    return actions.post_comment(article=article, author=alice, body="A sharp remark")
