import asyncio
import json
import logging
from datetime import timedelta
from functools import partial

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from discussion import actions, live
from discussion.models import Comment
from newsroom.models import Article


@pytest.fixture(autouse=True)
def _quick(settings, no_rate_limit):
    settings.TRIBUNE_LIVE_POLL_SECONDS = 0.05
    settings.TRIBUNE_LIVE_MAX_SECONDS = 5
    settings.REDIS_URL = ""


def post(article, author, body, parent=None):
    return actions.post_comment(
        article=article, author=author, body=body, parent=parent
    )


def url(article):
    return reverse("discussion-live", args=[article.slug])


def events(body: str) -> list[dict]:
    """The `comments` events in an event-stream text, with their ids."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line
        )
        if fields.get("event") == "comments":
            found.append({"id": fields["id"], **json.loads(fields["data"])})
    return found


# Under WSGI: one answer with what is new, then EventSource asks again.


def test_it_tells_a_page_about_comments_newer_than_it(client, article, alice, bob):
    shown = post(article, alice, "Already on the page")
    first = post(article, bob, "New one")
    reply = post(article, alice, "A new reply", parent=first)

    response = client.get(url(article), {"after": shown.pk})

    assert response.status_code == 200
    assert not response.streaming
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    body = response.content.decode()
    assert body.startswith("retry: 50\n\n")
    assert events(body) == [
        {
            "id": f"{reply.pk}-2",
            "count": 2,
            "text": "2 new comments",
            "after": reply.pk,
            "first": "2",
            "latest": "2.1",
            "url": "/articles/joint-operations/comments/2/",
        }
    ]


def test_it_says_nothing_when_nothing_is_new(client, article, alice):
    shown = post(article, alice, "Already on the page")
    response = client.get(url(article), {"after": shown.pk})
    assert response.content.decode() == "retry: 50\n\n"


def test_it_repeats_nothing_the_page_was_told(client, article, alice, bob):
    shown = post(article, alice, "Already on the page")
    new = post(article, bob, "New one")
    told = events(client.get(url(article), {"after": shown.pk}).content.decode())
    assert told[0]["id"] == f"{new.pk}-1"

    again = client.get(
        url(article), {"after": shown.pk}, HTTP_LAST_EVENT_ID=told[0]["id"]
    )
    assert events(again.content.decode()) == []

    newer = post(article, alice, "Newer one")
    news = client.get(
        url(article), {"after": shown.pk}, HTTP_LAST_EVENT_ID=told[0]["id"]
    )
    # Counted from the page's comments, not from the last event.
    assert [
        (e["count"], e["first"], e["latest"]) for e in events(news.content.decode())
    ] == [(2, "2", "3")]
    assert newer.number == "3"


def test_it_counts_only_published_comments(client, article, alice, bob, maude):
    shown = post(article, alice, "Already on the page")
    pending = post(article, bob, "Waiting for review")
    Comment.objects.filter(pk=pending.pk).update(status=Comment.Status.PENDING)
    deleted = post(article, bob, "Deleted soon")
    actions.delete_comment(comment=deleted, user=bob)

    response = client.get(url(article), {"after": shown.pk})
    assert events(response.content.decode()) == []


def test_it_lets_anonymous_readers_listen_with_one_query_per_answer(
    client, article, alice, django_assert_num_queries
):
    post(article, alice, "First")
    with django_assert_num_queries(2):  # the article, the new comments
        response = client.get(url(article), {"after": 0})
    assert events(response.content.decode())[0]["count"] == 1


def test_it_is_404_for_an_article_readers_cannot_see(client, article):
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert client.get(url(article), {"after": 0}).status_code == 404
    Article.objects.filter(pk=article.pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now() + timedelta(1)
    )
    assert client.get(url(article), {"after": 0}).status_code == 404
    assert client.get("/articles/nothing-here/live/", {"after": 0}).status_code == 404


@pytest.mark.parametrize("after", ["", "-1", "abc", "1" * 30])
def test_it_refuses_a_bad_after(client, article, after):
    assert client.get(url(article), {"after": after}).status_code == 400


def test_it_answers_only_get(client, article):
    assert client.post(url(article), {"after": 0}).status_code == 405


# Under ASGI: one stream per page.


@pytest.mark.django_db(transaction=True)
def test_it_streams_under_asgi(article, alice, bob):
    shown = post(article, alice, "Already on the page")
    new = post(article, bob, "New one")

    async def listen():
        response = await AsyncClient().get(url(article), {"after": shown.pk})
        chunks = response.streaming_content
        try:
            first = await asyncio.wait_for(anext(chunks), 5)
            second = await asyncio.wait_for(anext(chunks), 5)
        finally:
            await chunks.aclose()
        return response, first.decode(), second.decode()

    response, first, second = asyncio.run(listen())
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/event-stream"
    assert response["X-Accel-Buffering"] == "no"
    assert first == "retry: 5000\n\n"
    assert events(second) == [
        {
            "id": f"{new.pk}-1",
            "count": 1,
            "text": "1 new comment",
            "after": new.pk,
            "first": "2",
            "latest": "2",
            "url": "/articles/joint-operations/comments/2/",
        }
    ]


@pytest.fixture
def stream(article):
    """Open the ASGI stream of `article`: stream(after, ...).

    Run scenarios with async_to_sync: the stream's queries (and the
    scenario's sync_to_async calls) then run in the test's thread, on its
    connection, inside its transaction. `stream.queries` names them.
    """
    queries = []

    async def run(function, *args):
        queries.append(function.__name__)
        return await sync_to_async(function)(*args)

    def open_stream(after, seen="", redis_url=""):
        return live._stream(article.pk, article.slug, after, seen, redis_url, run)

    open_stream.queries = queries
    return open_stream


async def chunk(generator, timeout=3):
    return await asyncio.wait_for(anext(generator), timeout)


async def until(condition, timeout=5):
    """Wait for the streams' tasks to bring `condition()` about."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def test_the_stream_polls_the_database_without_redis(stream, article, alice, bob):
    shown = post(article, alice, "Already on the page")

    async def scenario():
        events_seen = stream(shown.pk)
        try:
            assert await chunk(events_seen) == "retry: 5000\n\n"
            waiting = asyncio.ensure_future(chunk(events_seen))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # nothing new yet
            new = await sync_to_async(post)(
                article, bob, "Posted while the page is open"
            )
            return new, await waiting
        finally:
            await events_seen.aclose()

    new, event = async_to_sync(scenario)()
    assert events(event) == [
        {
            "id": f"{new.pk}-1",
            "count": 1,
            "text": "1 new comment",
            "after": new.pk,
            "first": "2",
            "latest": "2",
            "url": "/articles/joint-operations/comments/2/",
        }
    ]


def test_the_stream_pings_and_ends(stream, article, settings, monkeypatch):
    monkeypatch.setattr(live, "PING_SECONDS", 0.1)
    settings.TRIBUNE_LIVE_MAX_SECONDS = 0.35

    async def scenario():
        return [part async for part in stream(0)]

    parts = async_to_sync(scenario)()
    assert parts[0] == "retry: 5000\n\n"
    # A ping every 0.1 s until 0.35 s: three on time, two if the machine
    # stalls the stream, which times each ping from the previous one.
    pings = parts[1:]
    assert set(pings) == {": ping\n\n"}
    assert 2 <= len(pings) <= 3


def test_the_stream_resumes_from_last_event_id(stream, article, alice):
    new = post(article, alice, "Told before the reconnection")

    async def scenario():
        events_seen = stream(0, seen=f"{new.pk}-1")
        try:
            await chunk(events_seen)
            return await asyncio.wait_for(anext(events_seen), 0.3)
        finally:
            await events_seen.aclose()

    with pytest.raises(TimeoutError):
        async_to_sync(scenario)()


class FakePubSub:
    """redis.asyncio's PubSub, as far as the live hub uses it: subscriptions
    are confirmed by a message, as Redis does."""

    def __init__(self, fail=False):
        self.fail = fail
        self.slow = False  # True: subscriptions are never confirmed
        self.channels = []  # every SUBSCRIBE sent, in order
        self.unsubscribed = []
        self.messages = asyncio.Queue()
        self.closed = False

    async def subscribe(self, name):
        self.channels.append(name)
        if not self.slow:
            self.messages.put_nowait({"type": "subscribe", "channel": name.encode()})

    async def unsubscribe(self, name):
        self.unsubscribed.append(name)

    async def get_message(self, timeout=0.0):
        if self.fail:
            raise redis.ConnectionError("Redis went away")
        try:
            if not timeout:
                return self.messages.get_nowait()
            return await asyncio.wait_for(self.messages.get(), timeout)
        except (asyncio.QueueEmpty, TimeoutError):
            return None

    def publish(self, data, name=None):
        name = name or self.channels[0]
        self.messages.put_nowait(
            {"type": "message", "channel": name.encode(), "data": json.dumps(data)}
        )

    async def aclose(self):
        self.closed = True


class FakeRedis:
    def __init__(self, pubsub):
        self._pubsub = pubsub

    def pubsub(self, **options):
        return self._pubsub

    async def aclose(self):
        pass


@pytest.fixture
def pubsub(monkeypatch):
    pubsub = FakePubSub()
    connections = []

    def from_url(cls, url, **options):
        connections.append(url)
        return FakeRedis(pubsub)

    monkeypatch.setattr(redis.asyncio.Redis, "from_url", classmethod(from_url))
    pubsub.connections = connections
    return pubsub


def test_the_stream_wakes_on_redis_messages_without_more_queries(
    stream, pubsub, article, alice
):
    shown = post(article, alice, "Already on the page")

    async def scenario():
        events_seen = stream(shown.pk, redis_url="redis://redis.invalid/0")
        try:
            await chunk(events_seen)
            waiting = asyncio.ensure_future(chunk(events_seen))
            await until(lambda: pubsub.channels == [live.channel(article.pk)])
            pubsub.publish({"article": article.pk, "id": shown.pk, "number": "1"})
            pubsub.publish({"article": article.pk, "id": shown.pk + 5, "number": "4"})
            pubsub.publish({"article": article.pk, "id": shown.pk + 6, "number": "4.1"})
            return await waiting
        finally:
            await events_seen.aclose()

    event = async_to_sync(scenario)()
    # The page's own comment is not news; the others came by Redis alone.
    assert [(e["count"], e["first"], e["latest"]) for e in events(event)] == [
        (2, "4", "4.1")
    ]
    assert stream.queries == ["new_comments"]
    assert pubsub.closed


def test_streams_of_one_process_share_one_redis_connection(
    stream, pubsub, article, alice, section
):
    """A live worker holds thousands of streams: one connection to Redis
    serves them all, each article's channel subscribed while a stream of it
    is open."""
    shown = post(article, alice, "Already on the page")
    other = Article.objects.create(
        section=section,
        title="Another article",
        slug="another-article",
        body="Text.",
        status=Article.Status.PUBLISHED,
        published_at=article.published_at,
    )
    url = "redis://redis.invalid/0"

    async def scenario():
        first, second = stream(shown.pk, redis_url=url), stream(shown.pk, redis_url=url)
        elsewhere = live._stream(
            other.pk, other.slug, 0, "", url, partial(_in_test_thread, [])
        )
        streams = (first, second, elsewhere)
        for events_seen in streams:
            await chunk(events_seen)  # "retry:"; the next read subscribes
        waiting = [asyncio.ensure_future(chunk(s, timeout=10)) for s in streams]
        try:
            # One connection, one SUBSCRIBE per article, not per stream.
            await until(lambda: len(pubsub.channels) == 2)
            assert len(pubsub.connections) == 1
            assert sorted(pubsub.channels) == sorted(
                [live.channel(article.pk), live.channel(other.pk)]
            )
            pubsub.publish(
                {"article": article.pk, "id": shown.pk + 3, "number": "2"},
                live.channel(article.pk),
            )
            heard = await asyncio.gather(*waiting[:2])
            await first.aclose()
            await asyncio.sleep(0.2)
            # Another stream of the article still listens.
            assert pubsub.unsubscribed == []
            await second.aclose()
            await until(lambda: pubsub.unsubscribed)
            assert pubsub.unsubscribed == [live.channel(article.pk)]
            # The other article's stream still uses the connection: give the
            # hub time to close it, were it to.
            await asyncio.sleep(0.2)
            assert not pubsub.closed
            return heard
        finally:
            # The other article's stream is still waiting: leaving it ends it.
            waiting[2].cancel()
            await asyncio.gather(waiting[2], return_exceptions=True)
            await asyncio.sleep(0.2)
            for events_seen in streams:
                await events_seen.aclose()

    heard = async_to_sync(scenario)()
    assert [[e["first"] for e in events(event)] for event in heard] == [["2"], ["2"]]
    # The last stream gone, the hub closed its connection.
    assert pubsub.closed
    assert pubsub.unsubscribed == [live.channel(article.pk), live.channel(other.pk)]


def test_when_redis_fails_every_stream_reads_the_database_again(
    stream, pubsub, article, alice, bob, caplog
):
    """Messages may have been lost with the connection: each stream of the
    hub reads what it missed from the database, then polls; the next stream
    to open tries Redis again."""
    shown = post(article, alice, "Already on the page")
    url = "redis://redis.invalid/0"

    async def scenario():
        streams = [stream(shown.pk, redis_url=url) for _ in range(2)]
        for events_seen in streams:
            await chunk(events_seen)
        waiting = [asyncio.ensure_future(chunk(s, timeout=10)) for s in streams]
        try:
            await until(lambda: pubsub.channels == [live.channel(article.pk)])
            # Posted without a message reaching the hub, then Redis goes.
            await sync_to_async(post)(article, bob, "Posted as Redis went away")
            pubsub.fail = True
            heard = await asyncio.gather(*waiting)
            # Redis is back: a stream opened now subscribes on a new
            # connection.
            pubsub.fail = False
            later = stream(shown.pk, redis_url=url)
            await chunk(later)
            listening = asyncio.ensure_future(chunk(later, timeout=10))
            await until(lambda: len(pubsub.channels) == 2)
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
            await later.aclose()
            return heard
        finally:
            for events_seen in streams:
                await events_seen.aclose()

    with caplog.at_level(logging.WARNING, logger="tribune.live"):
        heard = async_to_sync(scenario)()
    assert [[e["count"] for e in events(event)] for event in heard] == [[1], [1]]
    # One warning for the lost connection, not one per stream.
    assert caplog.text.count("fall back to polling") == 1
    # The stream opened afterwards subscribed on a new connection.
    assert len(pubsub.connections) == 2
    assert pubsub.channels == [live.channel(article.pk)] * 2


def test_a_reader_who_leaves_before_redis_confirms_leaves_nothing_behind(
    stream, pubsub, article, alice
):
    shown = post(article, alice, "Already on the page")
    pubsub.slow = True

    async def scenario():
        events_seen = stream(shown.pk, redis_url="redis://redis.invalid/0")
        await chunk(events_seen)
        waiting = asyncio.ensure_future(chunk(events_seen, timeout=10))
        await until(lambda: pubsub.channels == [live.channel(article.pk)])
        waiting.cancel()  # the reader closed the page
        await asyncio.gather(waiting, return_exceptions=True)
        await until(lambda: pubsub.unsubscribed and pubsub.closed)
        await events_seen.aclose()

    async_to_sync(scenario)()
    # Its channel was given up and, with no stream left, the connection.
    assert pubsub.unsubscribed == [live.channel(article.pk)]
    assert pubsub.closed


async def _in_test_thread(queries, function, *args):
    queries.append(function.__name__)
    return await sync_to_async(function)(*args)


def test_the_stream_falls_back_to_polling_when_redis_fails(
    stream, pubsub, article, alice, bob, caplog
):
    shown = post(article, alice, "Already on the page")
    pubsub.fail = True

    async def scenario():
        events_seen = stream(shown.pk, redis_url="redis://redis.invalid/0")
        try:
            await chunk(events_seen)
            await asyncio.sleep(0.1)
            await sync_to_async(post)(article, bob, "Posted while Redis is down")
            return await chunk(events_seen)
        finally:
            await events_seen.aclose()

    with caplog.at_level(logging.WARNING, logger="tribune.live"):
        event = async_to_sync(scenario)()
    assert [e["count"] for e in events(event)] == [1]
    assert "fall back to polling" in caplog.text


# Publishing.


class FakePublisher:
    def __init__(self):
        self.published = []

    def publish(self, name, data):
        self.published.append((name, json.loads(data)))


def test_it_publishes_a_new_comment_after_the_commit(
    article, alice, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://redis.invalid/0"
    publisher = FakePublisher()
    monkeypatch.setattr(live, "_redis", lambda url: publisher)
    comment = post(article, alice, "Hello")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        live.publish_new_comment(comment)
        assert publisher.published == []

    version = Article.objects.get(pk=article.pk).thread_version
    assert publisher.published == [
        (
            live.channel(article.pk),
            {
                "article": article.pk,
                "number": "1",
                "id": comment.pk,
                "version": version,
            },
        )
    ]


def test_it_publishes_nothing_after_a_rollback(
    article, alice, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://redis.invalid/0"
    publisher = FakePublisher()
    monkeypatch.setattr(live, "_redis", lambda url: publisher)
    comment = post(article, alice, "Hello")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        live.publish_new_comment(comment)
        raise RuntimeError
    assert callbacks == []
    assert publisher.published == []


def test_it_publishes_nothing_without_redis(
    article, alice, django_capture_on_commit_callbacks
):
    comment = post(article, alice, "Hello")
    with django_capture_on_commit_callbacks() as callbacks:
        live.publish_new_comment(comment)
    assert callbacks == []


def test_a_post_does_not_fail_when_redis_is_down(
    article, alice, settings, django_capture_on_commit_callbacks, caplog
):
    # Nothing listens on port 1: the connection is refused at once.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    comment = post(article, alice, "Hello")
    with (
        caplog.at_level(logging.WARNING, logger="tribune.live"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        live.publish_new_comment(comment)
    assert len(callbacks) == 1
    assert f"comment {comment.pk} not published" in caplog.text


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379/2", False),
        ("redis://127.0.0.1:6379/3", "redis://other-host:6379/3", True),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0", True),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/?db=4", False),
    ],
)
def test_sites_on_separate_redis_databases_use_separate_channels(
    settings, first, second, same
):
    # Pub/sub channels are shared by every database of a Redis server.
    settings.REDIS_URL = first
    one = live.channel(7)
    settings.REDIS_URL = second
    other = live.channel(7)
    assert (one == other) is same
    assert one.endswith(":thread:7")
