"""A signed-in reader's article page put together from the cached shell is
the page the templates render in full, for every kind of reader and page."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussion import actions
from discussion.models import Comment
from moderation.actions import ban_reader
from moderation.models import SiteMode
from newsroom import views
from newsroom.models import Article
from notifications import actions as notifications

# Every form gets its own masked CSRF token and the comment form a fresh
# idempotency token: equal pages differ in these only.
_TOKENS = re.compile(
    r'(name="csrfmiddlewaretoken" value=")[^"]+(")'
    r'|(name="client_token" value=")[^"]+(")'
)


def _normalized(html: str) -> str:
    return _TOKENS.sub(lambda m: "".join(g for g in m.groups() if g), html)


def _full_and_shell(client, url, monkeypatch, **extra):
    """The page rendered in full, then twice from the shell (cold and warm)."""
    with monkeypatch.context() as patched:
        patched.setattr(views, "_shell_applies", lambda *args: False)
        full = client.get(url, **extra)
    cache.clear()
    calls = []
    shell = views._render_from_shell
    monkeypatch.setattr(
        views, "_render_from_shell", lambda *a: calls.append(a) or shell(*a)
    )
    cold = client.get(url, **extra)
    warm = client.get(url, **extra)
    assert len(calls) == 2  # both from the shell
    for response in (full, cold, warm):
        assert response.status_code == 200
    return [_normalized(r.content.decode()) for r in (full, cold, warm)]


@pytest.fixture
def thread(article, alice, bob, no_rate_limit):
    first = actions.post_comment(article=article, author=bob, body="Bob's view")
    actions.post_comment(article=article, author=alice, body="Alice's view")
    actions.post_comment(article=article, author=bob, body="Reply", parent=first)
    actions.cast_vote(comment=first, user=alice, value=1)
    return first


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("alice", ""),
        ("alice", "?sort=new"),
        ("alice", "?quote=p-2"),
        ("bob", "?page=1"),
        ("maude", ""),  # a moderator: the thread rendered for her
        ("eddie", ""),  # staff: the admin link
    ],
)
def test_the_shell_gives_the_full_page(
    request, client, article, thread, who, query, monkeypatch
):
    user = request.getfixturevalue(who)
    notifications.reader_warned(user, "Keep it civil.")
    notifications.follow(user, article)
    client.force_login(user)
    full, cold, warm = _full_and_shell(
        client, article.get_absolute_url() + query, monkeypatch
    )
    assert cold == full
    assert warm == full
    assert f">{user.username}</a>" in full


def test_the_shell_gives_the_full_page_in_russian(
    client, article, thread, alice, monkeypatch
):
    client.force_login(alice)
    full, cold, warm = _full_and_shell(
        client, article.get_absolute_url(), monkeypatch, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert '<html lang="ru">' in full
    assert cold == full == warm


@pytest.mark.parametrize("state", ["banned", "closed", "read_only", "pending"])
def test_the_shell_follows_what_readers_may_do(
    client, article, thread, alice, maude, state, monkeypatch
):
    if state == "banned":
        ban_reader(actor=maude, reader=alice, reason="Spam")
    elif state == "closed":
        Article.objects.filter(pk=article.pk).update(comments_open=False)
    elif state == "read_only":
        mode = SiteMode.current()
        mode.read_only = True
        mode.message = "Back at noon."
        mode.save()
    else:
        held = actions.post_comment(article=article, author=alice, body="Held back")
        Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    client.force_login(alice)
    full, cold, warm = _full_and_shell(client, article.get_absolute_url(), monkeypatch)
    assert cold == full == warm


def test_a_translation_gives_the_full_page(
    client, article, thread, alice, section, monkeypatch
):
    edition = Article.objects.create(
        title="Совместные операции",
        slug="sovmestnye-operatsii",
        body="Первый абзац.\n\nВторой абзац.",
        section=section,
        language="ru",
        translation_of=article,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(minutes=5),
    )
    client.force_login(alice)
    full, cold, warm = _full_and_shell(client, edition.get_absolute_url(), monkeypatch)
    assert cold == full == warm


def test_one_readers_shell_shows_another_reader_only_their_own(
    article, thread, alice, bob, no_rate_limit
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(alice)
    second.force_login(bob)
    url = article.get_absolute_url()
    notifications.reader_warned(alice, "For alice only.")
    alices = first.get(url).content.decode()
    bobs = second.get(url).content.decode()  # from the shell alice's page made
    assert ">alice</a>" in alices and ">alice</a>" not in _nav(bobs)
    assert ">bob</a>" in _nav(bobs)
    assert "badge-count" in _nav(alices) and "badge-count" not in _nav(bobs)
    assert "Stop following" not in bobs
    # Bob's own tokens work: his comment form posts.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bobs).group(1)
    client_token = re.search(r'name="client_token" value="([^"]+)"', bobs).group(1)
    posted = second.post(
        f"{url}comments/",
        {
            "body": "Bob again",
            "csrfmiddlewaretoken": token,
            "client_token": client_token,
        },
    )
    assert posted.status_code == 302
    assert Comment.objects.filter(author=bob, body="Bob again").exists()


def _nav(html: str) -> str:
    return html[html.index('<nav class="site-nav"') : html.index("</nav>")]


def test_the_shell_changes_with_the_thread(client, article, thread, alice, bob):
    client.force_login(alice)
    url = article.get_absolute_url()
    before = client.get(url).content.decode()
    actions.post_comment(article=article, author=bob, body="A new one from bob")
    after = client.get(url).content.decode()
    assert "A new one from bob" not in before
    assert "A new one from bob" in after
    assert "(4)" in after  # the heading's count, part of the shell


def test_a_message_takes_the_full_rendering(client, article, thread, alice):
    client.force_login(alice)
    url = article.get_absolute_url()
    client.get(url)  # a shell is cached
    reported = client.post(
        reverse("newsroom-report-error", args=[article.slug]),
        {"passage": "", "detail": "The date of the exercise is wrong."},
    )
    assert reported.status_code == 302
    page = client.get(url).content.decode()
    assert "Thank you: the editors will look at it." in page
    # Shown once, and gone from the next page, which the shell serves again.
    assert page.count("Thank you: the editors") == 1
    assert "Thank you: the editors" not in client.get(url).content.decode()
