"""Live updates: a reader with an article open hears about new comments.

The page opens an EventSource on /articles/<slug>/live/?after=<id>, `after`
being the highest id of the published comments it shows, and receives a
`comments` event whenever that changes: how many published comments are newer
than the page, and a link to the first of them. The page shows "N new
comments — Show"; nothing is inserted into the thread, so nothing moves.

Each event's `id:` is the state it describes; EventSource sends it back as
Last-Event-ID when it reconnects, so a reader is told only what changed.

How the answer waits depends on the server:
- Under ASGI one response streams for up to TRIBUNE_LIVE_MAX_SECONDS. With
  REDIS_URL it waits on the article's pub/sub channel, where
  publish_new_comment announces each comment from whichever process took it,
  and reads the database once, when it starts. The streams of a worker share
  one Redis connection (_Hub). Without Redis it polls the database every
  TRIBUNE_LIVE_POLL_SECONDS (one small query).
- Under WSGI a held response would take a worker thread for every open page,
  so the answer comes at once with what is new and `retry:` set to the poll
  interval: EventSource asks again after it, which makes it a poll of one small
  query per page and interval.
"""

import asyncio
import json
import logging
from functools import cache, partial
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, transaction
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from discussion.models import Comment
from newsroom.models import Article

if TYPE_CHECKING:
    import redis

logger = logging.getLogger("tribune.live")

# A comment line this often keeps proxies and load balancers from closing an
# idle stream.
PING_SECONDS = 15
# How long EventSource waits before reconnecting after a stream ends.
RECONNECT_MS = 5000
# New comments counted at most; a page this far behind should be reloaded.
MAX_NEW = 1000
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def channel(article_id: int, redis_url: str | None = None) -> str:
    """The article's pub/sub channel (on settings.REDIS_URL's server unless
    another URL is given).

    Redis keeps one set of channels per server, not per database: the
    database number in the name keeps sites that share a server on separate
    databases (as their caches must be) from hearing each other's comments.
    """
    url = settings.REDIS_URL if redis_url is None else redis_url
    return f"tribune:{_database(url)}:thread:{article_id}"


@cache
def _database(url: str) -> int:
    if not url:
        return 0
    from redis.connection import parse_url

    return int(parse_url(url).get("db") or 0)


def _max_seconds() -> float:
    return getattr(settings, "TRIBUNE_LIVE_MAX_SECONDS", 300)


def _poll_seconds() -> float:
    return getattr(settings, "TRIBUNE_LIVE_POLL_SECONDS", 2)


# Publishing.


def _lib():
    """redis-py, imported when first needed: only sites with REDIS_URL use it,
    and importing it costs a worker about 20 MB."""
    import redis
    import redis.asyncio

    return redis


@cache
def _redis(url: str) -> "redis.Redis":
    # Short timeouts: a reader's post waits for this after its commit.
    return _lib().Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def publish_new_comment(comment: Comment) -> None:
    """Announce a comment that became visible to open pages in every process.

    Call inside the transaction that made it visible: the message goes out when
    that commits (with one query for the thread version), and never after a
    rollback. Without REDIS_URL it does nothing (the pages poll). A Redis
    failure is logged, never raised: a post must not fail for live updates.
    """
    if not settings.REDIS_URL:
        return
    message = {"article": comment.article_id, "number": comment.number}
    transaction.on_commit(
        partial(_publish, settings.REDIS_URL, comment.pk, message), robust=True
    )


def _publish(url: str, pk: int, message: dict) -> None:
    message["id"] = pk
    message["version"] = (
        Article.objects.filter(pk=message["article"])
        .values_list("thread_version", flat=True)
        .first()
    )
    try:
        _redis(url).publish(channel(message["article"]), json.dumps(message))
    except _lib().RedisError as error:
        logger.warning("Live update for comment %s not published: %s", pk, error)


# The view.


@require_GET
async def live(request, slug):
    """Server-Sent Events about comments newer than ?after= (see the module).

    Public, like the thread. Under WSGI: two queries and an immediate answer;
    under ASGI: a stream with one query at its start, then one per poll (none
    with Redis).
    """
    after = request.GET.get("after", "")
    if not after.isdigit() or len(after) > 18:
        return HttpResponseBadRequest("after must be a comment id")
    after = int(after)
    asgi = isinstance(request, ASGIRequest)
    # Under WSGI the queries run in the request's own thread, on its
    # connection; under ASGI on the shared pool's threads (see _in_thread).
    run = partial(_in_thread, asgi)
    article_id = await run(_visible_article_id, slug)
    if article_id is None:
        raise Http404("No such article")
    # What the page was last told; a fresh page knows of nothing newer.
    seen = request.headers.get("Last-Event-ID") or _state({}, after)
    if not asgi:
        known = await run(new_comments, article_id, after)
        body = f"retry: {round(_poll_seconds() * 1000)}\n\n"
        if _state(known, after) != seen:
            body += _event(slug, after, known, translation.get_language())
        return HttpResponse(body, content_type="text/event-stream", headers=HEADERS)
    return StreamingHttpResponse(
        _stream(
            article_id,
            slug,
            after,
            seen,
            settings.REDIS_URL,
            run,
            language=translation.get_language(),
        ),
        content_type="text/event-stream",
        headers=HEADERS,
    )


async def _in_thread(asgi: bool, function, *args):
    if not asgi:
        return await sync_to_async(function)(*args)
    return await sync_to_async(_closing, thread_sensitive=False)(function, *args)


def _closing(function, *args):
    """Run `function`, then give its connection back.

    An open stream must not hold a database connection between its queries;
    with PostgreSQL's pool (OPTIONS "pool") closing returns it to the pool.
    """
    try:
        return function(*args)
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _visible_article_id(slug: str) -> int | None:
    """The id of the thread the article at `slug` shows (its original's, for a
    translation), if the article is visible."""
    article = (
        Article.objects.filter(slug=slug)
        .only("status", "published_at", "translation_of")
        .first()
    )
    if article is None or not article.is_visible:
        return None
    return article.translation_of_id or article.pk


def new_comments(article_id: int, after: int) -> dict[int, str]:
    """{id: number} of the published comments with ids above `after` (1 query)."""
    rows = (
        Comment.objects.filter(
            article_id=article_id, id__gt=after, status=Comment.Status.PUBLISHED
        )
        .order_by("id")
        .values_list("id", "number")
    )
    return dict(rows[:MAX_NEW])


def _state(known: dict[int, str], after: int) -> str:
    return f"{max(known, default=after)}-{len(known)}"


def _event(
    slug: str, after: int, known: dict[int, str], language: str | None = None
) -> str:
    data = {"count": len(known), "after": max(known, default=after)}
    # The words the page shows, in the reader's language ("3 новых комментария").
    with translation.override(language or settings.LANGUAGE_CODE):
        data["text"] = translation.ngettext(
            "%(count)s new comment", "%(count)s new comments", len(known)
        ) % {"count": len(known)}
    if known:
        first = known[min(known)]
        data["first"] = first
        data["latest"] = known[max(known)]
        data["url"] = reverse("discussion-comment", args=[slug, first])
    return (
        f"id: {_state(known, after)}\n"
        "event: comments\n"
        f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
    )


async def _stream(article_id, slug, after, seen, redis_url, run, language=None):
    """The events of one ASGI response, for up to TRIBUNE_LIVE_MAX_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _max_seconds()
    seen = seen or _state({}, after)
    yield f"retry: {RECONNECT_MS}\n\n"
    subscription = _Subscription(article_id)
    try:
        if redis_url:
            # Subscribed before the first query, so nothing falls in between.
            await subscription.open(redis_url)
        known = await run(new_comments, article_id, after)
        next_ping = loop.time() + PING_SECONDS
        while True:
            state = _state(known, after)
            if state != seen:
                seen = state
                yield _event(slug, after, known, language)
            now = loop.time()
            if now >= deadline:
                return
            if now >= next_ping:
                yield ": ping\n\n"
                next_ping = now + PING_SECONDS
            wait = min(deadline, next_ping) - now
            if subscription.active:
                for message in await subscription.receive(wait):
                    if message["id"] > after and len(known) < MAX_NEW:
                        known[message["id"]] = message["number"]
                if subscription.active:
                    continue
                # Redis went away: messages may have been lost; read them.
            else:
                await asyncio.sleep(min(wait, _poll_seconds()))
            known = await run(new_comments, article_id, after)
    finally:
        await subscription.close()


# Set by the hub in its streams' queues when Redis fails: messages may have
# been lost, and the stream goes back to the database.
_LOST = object()
# How long the hub's reader waits for a message before it looks for streams
# that joined or left (one short wait per live worker, not per stream).
HUB_POLL_SECONDS = 0.05
# How long a stream waits for Redis to confirm its channel before it polls.
SUBSCRIBE_SECONDS = 2


class _Hub:
    """One Redis pub/sub connection for all the streams of an event loop.

    A live worker holds thousands of streams; each used to open its own
    connection to Redis. The hub subscribes to an article's channel when its
    first stream joins and unsubscribes when its last leaves, and hands every
    message to the queues of that article's streams. One task owns the
    connection: it sends the (un)subscriptions streams ask for between short
    reads, so commands and reads never overlap on the connection. The hub
    closes its connection when no stream is left. If Redis fails, every
    stream is told (`_LOST`) and goes back to the database, and the next
    stream to join opens a new hub.
    """

    # loop -> url -> hub; a hub leaves when its last stream does.
    _hubs: "dict[asyncio.AbstractEventLoop, dict[str, _Hub]]" = {}

    def __init__(self, url: str):
        self.url = url
        self.client = self.pubsub = None
        # channel -> the queues of the streams that listen to it
        self.queues: dict[str, set[asyncio.Queue]] = {}
        # channel -> resolved with True once Redis confirmed the subscription
        self.confirmed: dict[str, asyncio.Future] = {}
        self.requests: list[tuple[str, str]] = []
        self.task: asyncio.Task | None = None

    @classmethod
    def of_this_loop(cls, url: str) -> "_Hub":
        hubs = cls._hubs.setdefault(asyncio.get_running_loop(), {})
        hub = hubs.get(url)
        if hub is None or (hub.task is not None and hub.task.done()):
            # (A hub whose task was cancelled with its loop never retired.)
            hub = hubs[url] = cls(url)
        return hub

    def _retire(self) -> None:
        loop = asyncio.get_running_loop()
        hubs = self._hubs.get(loop, {})
        if hubs.get(self.url) is self:
            del hubs[self.url]
        if not hubs:
            self._hubs.pop(loop, None)

    async def join(self, article_id: int) -> asyncio.Queue | None:
        """A queue of the article's messages; None if Redis cannot be used."""
        name = channel(article_id, self.url)
        queue: asyncio.Queue = asyncio.Queue()
        self.queues.setdefault(name, set()).add(queue)
        confirmed = self.confirmed.get(name)
        if confirmed is None:
            confirmed = self.confirmed[name] = (
                asyncio.get_running_loop().create_future()
            )
            self.requests.append(("subscribe", name))
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        try:
            # Only once Redis confirms is nothing published missed.
            ok = await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_SECONDS)
        except TimeoutError:
            ok = False
        except BaseException:
            # The reader left while waiting (the stream was cancelled).
            self.leave(article_id, queue)
            raise
        if not ok:
            self.leave(article_id, queue)
            return None
        return queue

    def leave(self, article_id: int, queue: asyncio.Queue) -> None:
        name = channel(article_id, self.url)
        listeners = self.queues.get(name)
        if listeners is None:
            return
        listeners.discard(queue)
        if not listeners:
            del self.queues[name]
            self.confirmed.pop(name, None)
            self.requests.append(("unsubscribe", name))

    async def _run(self) -> None:
        try:
            self.client = _lib().asyncio.Redis.from_url(
                self.url, socket_connect_timeout=2, health_check_interval=30
            )
            self.pubsub = self.client.pubsub()
            while True:
                await self._send_requests()
                if not self.queues:
                    # The last stream left: nothing to listen for.
                    self._retire()
                    return
                message = await self.pubsub.get_message(timeout=HUB_POLL_SECONDS)
                while message is not None:
                    self._dispatch(message)
                    message = await self.pubsub.get_message(timeout=0)
        except (_lib().RedisError, OSError) as error:
            logger.warning("Live updates fall back to polling: %s", error)
            self._retire()
            self._fail()
        finally:
            await self._close()

    async def _send_requests(self) -> None:
        requests, self.requests = self.requests, []
        for action, name in requests:
            # A stream may have joined or left again since it was asked.
            if action == "subscribe" and name in self.queues:
                await self.pubsub.subscribe(name)
            elif action == "unsubscribe" and name not in self.queues:
                await self.pubsub.unsubscribe(name)

    def _dispatch(self, message: dict) -> None:
        name = message.get("channel")
        if isinstance(name, bytes):
            name = name.decode()
        if message.get("type") == "subscribe":
            confirmed = self.confirmed.get(name)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(True)
            return
        if message.get("type") != "message":
            return
        parsed = _parse(message)
        if parsed is None:
            return
        for queue in self.queues.get(name, ()):
            queue.put_nowait(parsed)

    def _fail(self) -> None:
        for confirmed in self.confirmed.values():
            if not confirmed.done():
                confirmed.set_result(False)
        for listeners in self.queues.values():
            for queue in listeners:
                queue.put_nowait(_LOST)
        self.queues.clear()
        self.confirmed.clear()

    async def _close(self) -> None:
        pubsub, client = self.pubsub, self.client
        self.pubsub = self.client = None
        try:
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
        except (_lib().RedisError, OSError):
            pass


def _parse(message: dict) -> dict | None:
    try:
        data = json.loads(message["data"])
        pk, number = int(data["id"]), str(data["number"])
    except (ValueError, TypeError, KeyError):
        return None
    return {"id": pk, "number": number}


class _Subscription:
    """A stream's place in its loop's hub; inactive without Redis or when it
    fails."""

    def __init__(self, article_id: int):
        self.article_id = article_id
        self.hub: _Hub | None = None
        self.queue: asyncio.Queue | None = None

    @property
    def active(self) -> bool:
        return self.queue is not None

    async def open(self, url: str) -> None:
        self.hub = _Hub.of_this_loop(url)
        self.queue = await self.hub.join(self.article_id)
        if self.queue is None:
            logger.warning("Live updates fall back to polling: Redis did not answer")

    async def receive(self, timeout: float) -> list[dict]:
        """Messages within `timeout` seconds (and any queued behind the first)."""
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return []
        messages = []
        while item is not _LOST:
            messages.append(item)
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                return messages
        # The hub lost Redis (and said so in the log).
        self.queue = None
        return messages

    async def close(self) -> None:
        if self.queue is not None:
            self.hub.leave(self.article_id, self.queue)
        self.queue = None
