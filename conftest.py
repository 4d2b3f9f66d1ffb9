"""Named people shared by every test module.

alice and bob are readers, eddie an editor, maude a moderator, mallory a
hostile reader (banned once moderation lands). Passwords are all PASSWORD.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

PASSWORD = "correct horse battery staple"


def _user(django_user_model, username, **extra):
    return django_user_model.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **extra
    )


@pytest.fixture
def alice(db, django_user_model):
    return _user(django_user_model, "alice")


@pytest.fixture
def bob(db, django_user_model):
    return _user(django_user_model, "bob")


@pytest.fixture
def eddie(db, django_user_model):
    user = _user(django_user_model, "eddie", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def maude(db, django_user_model):
    user = _user(django_user_model, "maude")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def mallory(db, django_user_model):
    return _user(django_user_model, "mallory")


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Russian leaves Russian active in the thread (the locale
    middleware activates, nothing deactivates): later tests must not see it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_caches():
    """Rate limits and cached renderings must not leak between tests."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    yield
    for cache in caches.all():
        # A database cache is emptied with the test's transaction.
        if not isinstance(cache, DatabaseCache):
            cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 costs ~0.2 s a hash by design; tests that are not about hashing
    use a cheap hasher. Mark a test `real_hashers` to keep the configured ones."""
    if "real_hashers" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _established_accounts(settings):
    """Accounts made in a test are seconds old; tests that are not about the
    tighter limits for new accounts treat them as established."""
    settings.TRIBUNE_NEW_ACCOUNT_SECONDS = 0


ARTICLE_BODY = """The Americans once again made it clear that in Syria, the United \
States and Russia have different, if not opposite, goals.

Noble Americans are fighting with bearded terrorists, and wicked Russians help the \
most important terrorist.

The theme of joint action in Syria, it is clear, so outraged the Americans that the \
reaction lasted for several days."""


@pytest.fixture
def section(db):
    from newsroom.models import Section

    return Section.objects.create(name="Politics", slug="politics")


@pytest.fixture
def article(section):
    """A published article whose paragraphs readers quote in tests."""
    from newsroom.models import Article

    return Article.objects.create(
        title="Proposal for joint operations is not discussed.",
        slug="joint-operations",
        body=ARTICLE_BODY,
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def trusted_versions(monkeypatch):
    """Article versions this process read stay trusted for the whole test.

    Without Redis a process trusts a version for VALIDATOR_SECONDS of real
    time; a loaded machine can spend that between two requests of a test
    that counts a cache hit's queries. The process's own changes still
    forget the versions at once.
    """
    from newsroom import pagecache

    monkeypatch.setattr(pagecache, "VALIDATOR_SECONDS", 3600)


@pytest.fixture
def no_rate_limit(settings):
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 100000


@pytest.fixture(autouse=True)
def _fresh_page_validators():
    """Each test starts with no article versions remembered by this process."""
    from newsroom.pagecache import forget

    forget()
    yield
    forget()
