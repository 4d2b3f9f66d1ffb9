import pytest


@pytest.fixture
def comment(article, alice):
    from discussion import actions

    return actions.post_comment(article=article, author=alice, body="A sharp remark")
