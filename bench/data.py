"""The benchmark's data: generated threads that look like real discussions.

`plan_thread` decides, from a fixed seed, every comment's number, parent,
depth, author and body (about 60% top-level, replies up to depth 5, bodies of
50-800 characters); `insert_thread` writes the plan with bulk inserts, bodies
rendered by `lib.markdown.render_comment` as `post_comment` would. Run as

    python -m bench.data OUT.json   (with the bench's environment)

it builds everything the bench needs in the configured database and writes
the slugs, sessions and an Isso import file (WordPress WXR) next to OUT.json.
"""

# ruff: noqa: S311 - seeded pseudo-random data is the point here

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20160525
#: Share of top-level comments among the generated ones.
TOP_LEVEL_SHARE = 0.6
MAX_DEPTH = 5
MIN_BODY, MAX_BODY = 50, 800
USERS = 300
#: Writers for the posting test and the signed-in reader (the first one).
WRITERS = 8
#: Replies go to one of this many most recent comments, as in a live thread.
RECENT = 40

_WORDS = [
    "t",
    "h",
    "e",
    "a",
    "r",
    "m",
    "y",
    "j",
    "o",
    "i",
    "n",
    "t",
    "o",
    "p",
    "e",
    "r",
    "a",
    "t",
    "i",
    "o",
    "n",
    "s",
    "d",
    "o",
    "c",
    "t",
    "r",
    "i",
    "n",
    "e",
    "b",
    "r",
    "i",
    "g",
    "a",
    "d",
    "e",
    "s",
    "t",
    "a",
    "f",
    "f",
    "c",
    "o",
    "m",
    "m",
    "a",
    "n",
    "d",
    "o",
    "f",
    "f",
    "i",
    "c",
    "e",
    "r",
    "s",
    "e",
    "x",
    "e",
    "r",
    "c",
    "i",
    "s",
    "e",
    "f",
    "r",
    "o",
    "n",
    "t",
    "l",
    "o",
    "g",
    "i",
    "s",
    "t",
    "i",
    "c",
    "s",
    "s",
    "u",
    "p",
    "p",
    "l",
    "y",
    "a",
    "r",
    "t",
    "i",
    "l",
    "l",
    "e",
    "r",
    "y",
    "a",
    "v",
    "i",
    "a",
    "t",
    "i",
    "o",
    "n",
    "n",
    "a",
    "v",
    "y",
    "f",
    "l",
    "e",
    "e",
    "t",
    "c",
    "o",
    "a",
    "s",
    "t",
    "b",
    "o",
    "r",
    "d",
    "e",
    "r",
    "t",
    "r",
    "a",
    "i",
    "n",
    "i",
    "n",
    "g",
    "r",
    "e",
    "a",
    "d",
    "i",
    "n",
    "e",
    "s",
    "s",
    "r",
    "e",
    "f",
    "o",
    "r",
    "m",
    "b",
    "u",
    "d",
    "g",
    "e",
    "t",
    "p",
    "r",
    "o",
    "c",
    "u",
    "r",
    "e",
    "m",
    "e",
    "n",
    "t",
    "t",
    "a",
    "n",
    "k",
    "a",
    "r",
    "m",
    "o",
    "u",
    "r",
    "d",
    "r",
    "o",
    "n",
    "e",
    "r",
    "a",
    "d",
    "a",
    "r",
    "m",
    "i",
    "s",
    "s",
    "i",
    "l",
    "e",
    "d",
    "e",
    "f",
    "e",
    "n",
    "c",
    "e",
    "i",
    "n",
    "t",
    "e",
    "l",
    "l",
    "i",
    "g",
    "e",
    "n",
    "c",
    "e",
    "m",
    "a",
    "p",
    "c",
    "o",
    "r",
    "r",
    "i",
    "d",
    "o",
    "r",
    "b",
    "r",
    "i",
    "d",
    "g",
    "e",
    "h",
    "e",
    "a",
    "d",
    "r",
    "e",
    "s",
    "e",
    "r",
    "v",
    "e",
    "d",
    "i",
    "v",
    "i",
    "s",
    "i",
    "o",
    "n",
    "b",
    "a",
    "t",
    "t",
    "a",
    "l",
    "i",
    "o",
    "n",
    "c",
    "o",
    "m",
    "p",
    "a",
    "n",
    "y",
    "p",
    "l",
    "a",
    "t",
    "o",
    "o",
    "n",
    "s",
    "e",
    "r",
    "g",
    "e",
    "a",
    "n",
    "t",
    "g",
    "e",
    "n",
    "e",
    "r",
    "a",
    "l",
    "m",
    "i",
    "n",
    "i",
    "s",
    "t",
    "e",
    "r",
    "d",
    "e",
    "c",
    "i",
    "s",
    "i",
    "o",
    "n",
    "p",
    "l",
    "a",
    "n",
    "r",
    "e",
    "p",
    "o",
    "r",
    "t",
    "a",
    "n",
    "a",
    "l",
    "y",
    "s",
    "i",
    "s",
    "h",
    "i",
    "s",
    "t",
    "o",
    "r",
    "y",
    "w",
    "a",
    "r",
    "p",
    "e",
    "a",
    "c",
    "e",
    "t",
    "r",
    "e",
    "a",
    "t",
    "y",
    "a",
    "l",
    "l",
    "i",
    "a",
    "n",
    "c",
    "e",
    "n",
    "e",
    "i",
    "g",
    "h",
    "b",
    "o",
    "u",
    "r",
    "w",
    "i",
    "n",
    "t",
    "e",
    "r",
    "s",
    "u",
    "m",
    "m",
    "e",
    "r",
    "r",
    "o",
    "a",
    "d",
    "r",
    "a",
    "i",
    "l",
    "p",
    "o",
    "r",
    "t",
    "f",
    "u",
    "e",
    "l",
    "a",
    "m",
    "m",
    "u",
    "n",
    "i",
    "t",
    "i",
    "o",
    "n",
    "a",
    "n",
    "d",
    "o",
    "r",
    "b",
    "u",
    "t",
    "n",
    "o",
    "t",
    "o",
    "n",
    "l",
    "y",
    "a",
    "l",
    "s",
    "o",
    "b",
    "e",
    "c",
    "a",
    "u",
    "s",
    "e",
    "t",
    "h",
    "e",
    "r",
    "e",
    "f",
    "o",
    "r",
    "e",
    "h",
    "o",
    "w",
    "e",
    "v",
    "e",
    "r",
    "i",
    "n",
    "d",
    "e",
    "e",
    "d",
    "p",
    "e",
    "r",
    "h",
    "a",
    "p",
    "s",
    "c",
    "l",
    "e",
    "a",
    "r",
    "l",
    "y",
    "w",
    "e",
    "t",
    "h",
    "e",
    "y",
    "i",
    "t",
    "t",
    "h",
    "i",
    "s",
    "t",
    "h",
    "a",
    "t",
    "t",
    "h",
    "o",
    "s",
    "e",
    "t",
    "h",
    "e",
    "s",
    "e",
    "w",
    "h",
    "a",
    "t",
    "w",
    "h",
    "i",
    "c",
    "h",
    "w",
    "h",
    "o",
    "w",
    "h",
    "e",
    "n",
    "w",
    "h",
    "e",
    "r",
    "e",
    "w",
    "h",
    "y",
    "h",
    "o",
    "w",
    "m",
    "u",
    "c",
    "h",
    "m",
    "a",
    "n",
    "y",
    "i",
    "s",
    "a",
    "r",
    "e",
    "w",
    "a",
    "s",
    "w",
    "e",
    "r",
    "e",
    "b",
    "e",
    "b",
    "e",
    "e",
    "n",
    "w",
    "i",
    "l",
    "l",
    "w",
    "o",
    "u",
    "l",
    "d",
    "c",
    "o",
    "u",
    "l",
    "d",
    "s",
    "h",
    "o",
    "u",
    "l",
    "d",
    "m",
    "u",
    "s",
    "t",
    "c",
    "a",
    "n",
    "m",
    "a",
    "y",
    "m",
    "i",
    "g",
    "h",
    "t",
    "d",
    "o",
    "d",
    "o",
    "e",
    "s",
    "s",
    "a",
    "i",
    "d",
    "t",
    "h",
    "i",
    "n",
    "k",
    "b",
    "e",
    "l",
    "i",
    "e",
    "v",
    "e",
    "k",
    "n",
    "o",
    "w",
    "s",
    "e",
    "e",
    "a",
    "g",
    "r",
    "e",
    "e",
    "d",
    "i",
    "s",
    "a",
    "g",
    "r",
    "e",
    "e",
    "d",
    "o",
    "u",
    "b",
    "t",
    "r",
    "e",
    "m",
    "e",
    "m",
    "b",
    "e",
    "r",
    "r",
    "e",
    "a",
    "d",
    "w",
    "r",
    "o",
    "t",
    "e",
    "w",
    "r",
    "i",
    "t",
    "t",
    "e",
    "n",
]


@dataclass(frozen=True)
class Planned:
    number: str
    parent: str | None
    depth: int
    position: int
    author: int
    body: str
    minutes: int


def _body(rng: random.Random, length: int) -> str:
    """Words and paragraphs of exactly `length` characters (no trailing space)."""
    parts: list[str] = []
    size = 0
    sentence_start = True
    while size < length + 60:
        word = rng.choice(_WORDS)
        if sentence_start:
            word = word.capitalize()
        sentence_start = False
        if rng.random() < 0.1:
            word += "."
            sentence_start = True
            if rng.random() < 0.15:
                word += "\n\n"
        elif rng.random() < 0.05:
            word += ","
        if rng.random() < 0.02:
            word = f"*{word.strip()}*"
        parts.append(word)
        size += len(word) + 1
    text = " ".join(parts).replace("\n\n ", "\n\n")[:length]
    # Never end on whitespace (render and length must agree); pad with a dot.
    while text and text[-1].isspace():
        text = text[:-1] + "."
    return text


def plan_thread(count: int, seed: int = SEED) -> list[Planned]:
    """Return `count` comments in posting order, the same for the same seed."""
    rng = random.Random(f"{seed}:{count}")
    planned: list[Planned] = []
    replies: dict[str | None, int] = {}
    open_parents: list[Planned] = []
    minutes = 0
    for _ in range(count):
        minutes += rng.randint(0, 6)
        parent = None
        if planned and rng.random() >= TOP_LEVEL_SHARE:
            parent = rng.choice(open_parents[-RECENT:])
        position = replies.get(parent.number if parent else None, 0) + 1
        replies[parent.number if parent else None] = position
        number = f"{parent.number}.{position}" if parent else str(position)
        length = MIN_BODY + int((MAX_BODY - MIN_BODY) * rng.random() ** 2)
        comment = Planned(
            number=number,
            parent=parent.number if parent else None,
            depth=parent.depth + 1 if parent else 0,
            position=position,
            author=rng.randrange(USERS),
            body=_body(rng, length),
            minutes=minutes,
        )
        planned.append(comment)
        if comment.depth < MAX_DEPTH:
            open_parents.append(comment)
    return planned


def make_users(count: int = USERS, prefix: str = "reader"):
    """Create `count` commenters with varied reputation; return them in order."""
    from accounts.models import User, fold_username

    rng = random.Random(SEED)
    existing = {u.username: u for u in User.objects.filter(username__startswith=prefix)}
    new = []
    for index in range(count):
        name = f"{prefix}{index:03d}"
        if name not in existing:
            new.append(
                User(
                    username=name,
                    username_key=fold_username(name),
                    password="!",  # noqa: S106 - unusable: they never sign in
                    reputation=int(rng.paretovariate(1.2)) * 10 - 10,
                    date_joined=datetime(2015, 1, 1, tzinfo=UTC),
                )
            )
    User.objects.bulk_create(new)
    by_name = {u.username: u for u in User.objects.filter(username__startswith=prefix)}
    return [by_name[f"{prefix}{index:03d}"] for index in range(count)]


def insert_thread(article, users, planned: list[Planned], start: datetime):
    """Write the planned comments under `article`; return them by number.

    One bulk insert per depth (parents before their replies); sets each
    comment's reply_counter and the article's counters as the actions would.
    """
    from discussion.models import Comment, path_segment
    from lib.markdown import render_comment
    from newsroom.models import Article

    children: dict[str | None, int] = {}
    for item in planned:
        children[item.parent] = children.get(item.parent, 0) + 1
    saved: dict[str, Comment] = {}
    for depth in range(MAX_DEPTH + 1):
        rows = []
        for item in planned:
            if item.depth != depth:
                continue
            parent = saved[item.parent] if item.parent else None
            rows.append(
                Comment(
                    article=article,
                    parent=parent,
                    author=users[item.author % len(users)],
                    number=item.number,
                    path=(parent.path + "." if parent else "")
                    + path_segment(item.position),
                    depth=depth,
                    reply_counter=children.get(item.number, 0),
                    body=item.body,
                    body_html=render_comment(item.body),
                    created_at=start + timedelta(minutes=item.minutes),
                )
            )
        for comment in Comment.objects.bulk_create(rows, batch_size=500):
            saved[comment.number] = comment
    Article.objects.filter(pk=article.pk).update(
        comment_counter=children.get(None, 0), comment_count=len(planned)
    )
    return saved


def _article(slug: str, title: str, published: datetime):
    from newsroom.models import Article, Section

    section, _ = Section.objects.get_or_create(
        slug="bench", defaults={"name": "Benchmarks"}
    )
    paragraphs = [_body(random.Random(f"{slug}:{i}"), 400 + 40 * i) for i in range(8)]
    return Article.objects.create(
        title=title,
        slug=slug,
        body="\n\n".join(paragraphs),
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=published,
    )


def _wxr_item(uri: str, title: str, comments) -> str:
    """One WordPress WXR <item> with its comments, ids in posting order."""
    rows = []
    for comment in comments:
        rows.append(
            "<wp:comment>"
            f"<wp:comment_id>{comment['id']}</wp:comment_id>"
            f"<wp:comment_author>{escape(comment['author'])}</wp:comment_author>"
            "<wp:comment_author_email></wp:comment_author_email>"
            "<wp:comment_author_url></wp:comment_author_url>"
            "<wp:comment_author_IP>127.0.0.1</wp:comment_author_IP>"
            f"<wp:comment_date_gmt>{comment['date']}</wp:comment_date_gmt>"
            f"<wp:comment_content>{escape(comment['body'])}</wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved>"
            f"<wp:comment_parent>{comment['parent']}</wp:comment_parent>"
            "</wp:comment>"
        )
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>http://127.0.0.1{escape(uri)}</link>" + "".join(rows) + "</item>"
    )


def wxr_export(threads: list[tuple[str, str, object]]) -> str:
    """Return a WXR file with each (uri, title, article)'s published comments.

    Comments are exported in creation order so that Isso's ids, and therefore
    its "oldest first" order, follow the discussion as it happened.
    """
    from discussion.models import Comment

    items = []
    next_id = 1
    for uri, title, article in threads:
        rows = list(
            Comment.objects.filter(article=article, status=Comment.Status.PUBLISHED)
            .select_related("author")
            .order_by("created_at", "path")
        )
        ids = {}
        comments = []
        for comment in rows:
            ids[comment.pk] = next_id
            comments.append(
                {
                    "id": next_id,
                    "author": comment.author.username if comment.author else "",
                    "date": comment.created_at.astimezone(UTC).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    ),
                    "body": comment.body,
                    "parent": ids.get(comment.parent_id, 0),
                }
            )
            next_id += 1
        items.append(_wxr_item(uri, title, comments))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
        "<channel>" + "".join(items) + "</channel></rss>\n"
    )


def build(out: Path, counts: list[int], *, posting_only: bool = False) -> dict:
    """Create the bench's users, articles and sessions; return what run.py needs."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User, fold_username
    from newsroom.models import Article

    published = datetime(2024, 5, 25, 9, 0, tzinfo=UTC)
    info: dict = {"articles": {}, "writers": []}
    writers = []
    for index in range(WRITERS):
        name = f"benchwriter{index + 1}"
        user = User.objects.filter(username_key=fold_username(name)).first()
        if user is None:
            user = User(username=name, date_joined=datetime(2015, 1, 1, tzinfo=UTC))
            user.set_unusable_password()
            user.save()
        writers.append(user)
    for user in writers:
        client = Client()
        client.force_login(user)
        info["writers"].append(
            {
                "username": user.username,
                "sessionid": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        )
    posting = Article.objects.filter(slug="bench-posting").first() or _article(
        "bench-posting", "Posting benchmark", published
    )
    info["articles"]["posting"] = posting.slug
    if posting_only:
        return info

    users = make_users()
    for count in counts:
        article = _article(f"bench-{count}", f"A discussion of {count:,}", published)
        planned = plan_thread(count)
        insert_thread(article, users, planned, published + timedelta(minutes=5))
        info["articles"][str(count)] = article.slug
    reference = (
        Article.objects.exclude(slug__startswith="bench-").order_by("pk").first()
    )
    threads = {}
    if reference is not None:
        info["articles"]["reference"] = reference.slug
        threads["reference"] = reference
    if "2000" in info["articles"]:
        threads["2000"] = Article.objects.get(slug=info["articles"]["2000"])
    wxr = out.parent / "isso-import.xml"
    wxr.write_text(
        wxr_export([(a.get_absolute_url(), a.title, a) for a in threads.values()]),
        encoding="utf-8",
    )
    info["isso_import"] = str(wxr)
    info["isso_uris"] = {key: a.get_absolute_url() for key, a in threads.items()}
    return info


def main(argv: list[str]) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
    django.setup()
    out = Path(argv[0])
    posting_only = "--posting-only" in argv
    counts = [int(a) for a in argv[1:] if a.isdigit()] or [1000, 2000, 10000]
    info = build(out, counts, posting_only=posting_only)
    out.write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
