"""The whole site as one JSON document, and back: `tribune export` / `restore`.

The document is an object of lists, one record per line, in the order a
restore needs them:

    {"format": "tribune-export", "version": 1, "exported_at": "...",
     "site": {...}, "groups": [...], "users": [...], "sections": [...],
     "tags": [...], "authors": [...], "articles": [...], "error_reports": [...],
     "comments": [...], "reports": [...], "audit_entries": [...],
     "words": [...], "preferences": [...], "follows": [...],
     "notifications": [...], "outbox": [...], "admin_log": [...]}

Records refer to each other by natural keys (usernames, slugs, a comment's
article slug and number) and keep their ids, so permalinks and links by id
stay valid after a restore. Rows that belong to one parent (bylines, sources,
tags of an article; revisions, quotes and votes of a comment) are nested in it.

Not exported, by design (see SKIPPED): sessions (everyone signs in again)
and API access tokens (programs get new ones), the search index (rebuilt by
the restore),
rate-limit counters, content types and permissions (rebuilt by migrate and
named by natural key), e-mail already sent (only unsent outbox messages
travel) and, unless asked for, password hashes: restored readers then have
unusable passwords and set new ones with "Forgot your password?".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import DateTimeField, JSONField, Model, Prefetch

from accounts.models import User, fold_username
from discussion.models import Comment, CommentRevision, Quote, Vote
from importers.models import ImportedAuthor, ImportedComment
from moderation.models import AuditEntry, Report, SiteMode, WordEntry
from newsroom.models import Article, Author, Byline, ErrorReport, Section, Source, Tag
from notifications.models import Follow, Notification, OutboxMessage, Preference

FORMAT = "tribune-export"
VERSION = 1
#: Rows read (and written) per query; bounds the exporter's memory.
CHUNK = 2000

#: Every model in the document, as "app_label.ModelName" -> where it goes.
EXPORTED = {
    "sites.Site": "site (name and domain of the current site)",
    "moderation.SiteMode": "site.mode",
    "auth.Group": "groups (with their permissions by natural key)",
    "auth.Group_permissions": "groups[].permissions",
    "accounts.User": "users (password hashes only with --with-password-hashes)",
    "accounts.User_groups": "users[].groups",
    "accounts.User_user_permissions": "users[].permissions",
    "newsroom.Section": "sections",
    "newsroom.Tag": "tags",
    "newsroom.Author": "authors",
    "newsroom.Article": "articles",
    "newsroom.Article_tags": "articles[].tags",
    "newsroom.Byline": "articles[].bylines",
    "newsroom.Source": "articles[].sources",
    "newsroom.ErrorReport": "error_reports",
    "discussion.Comment": "comments",
    "discussion.CommentRevision": "comments[].revisions",
    "discussion.Quote": "comments[].quotes",
    "discussion.Vote": "comments[].votes",
    "moderation.Report": "reports",
    "moderation.AuditEntry": "audit_entries",
    "moderation.WordEntry": "words",
    "notifications.Preference": "preferences",
    "notifications.Follow": "follows",
    "notifications.Notification": "notifications",
    "notifications.OutboxMessage": "outbox (unsent messages only)",
    "admin.LogEntry": "admin_log",
    "importers.ImportedComment": "imported_comments (so importing again adds "
    "only what is new)",
    "importers.ImportedAuthor": "imported_authors",
}
#: Models deliberately left out, and why.
SKIPPED = {
    "auth.Permission": "created by migrate; referred to as app_label.codename",
    "contenttypes.ContentType": "created by migrate; referred to by natural key",
    "sessions.Session": "sign-ins do not survive a move; readers sign in again",
    "newsroom.SearchDocument": "the search index: rebuilt from the articles and "
    "comments by the restore",
    "api.AccessToken": "credentials, like sessions: programs are given new "
    "tokens after a move",
}


class RestoreError(Exception):
    """The document cannot be restored; the message says why and where."""


# --- Values --------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Full precision, in UTC, so a second export is byte-for-byte the same.
        return value.astimezone(UTC).isoformat()
    return value


def _plain(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _json_value(getattr(obj, name)) for name in names}


def _values(row: dict, names: Iterable[str]) -> dict[str, Any]:
    return {name: _json_value(row[name]) for name in names}


def _chunks(rows: Iterable[Any]) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _grouped(rows: Iterable[Any], value=lambda row: row[1]) -> dict[int, list]:
    """{parent id: [value(row), …]}: the parent id is a row's first item, or
    its "comment_id"."""
    grouped: dict[int, list] = {}
    for row in rows:
        parent = row["comment_id"] if isinstance(row, dict) else row[0]
        grouped.setdefault(parent, []).append(value(row))
    return grouped


def _ref(comment_refs: dict[int, list], comment_id: int | None) -> list | None:
    return None if comment_id is None else comment_refs[comment_id]


# --- Export --------------------------------------------------------------------

USER_FIELDS = [
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
    "bio",
    "location",
    "reputation",
    "is_claimed",
    "premoderated",
    "suspended_until",
    "banned_at",
    "ban_reason",
]
SECTION_FIELDS = ["id", "name", "slug", "description", "position"]
TAG_FIELDS = ["id", "name", "slug"]
AUTHOR_FIELDS = ["id", "name", "slug", "bio"]
ARTICLE_FIELDS = [
    "id",
    "title",
    "slug",
    "lead",
    "body",
    "body_html",
    "language",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "comments_open",
    "comment_count",
    "comment_counter",
    "thread_version",
    "source_key",
]
BYLINE_FIELDS = ["position", "role"]
SOURCE_FIELDS = ["title", "url", "position"]
ERROR_REPORT_FIELDS = ["id", "passage", "detail", "status", "created_at"]
COMMENT_FIELDS = [
    "id",
    "number",
    "path",
    "depth",
    "reply_counter",
    "body",
    "body_html",
    "emoticons",
    "status",
    "created_at",
    "edited_at",
    "score",
    "upvotes",
    "downvotes",
    "client_token",
    "text_hash",
    "hold_reason",
    "ip_address",
]
REVISION_FIELDS = ["body", "created_at", "replaced_at"]
QUOTE_FIELDS = ["source", "text", "passage", "paragraph", "position"]
VOTE_FIELDS = ["value", "created_at"]
REPORT_FIELDS = ["id", "reason", "detail", "status", "created_at", "resolved_at"]
AUDIT_FIELDS = ["id", "action", "reason", "before", "after", "created_at"]
WORD_FIELDS = ["id", "text", "kind", "created_at"]
PREFERENCE_FIELDS = [
    "email_replies",
    "email_follows",
    "moderator_digest",
    "reports_digested_at",
]
FOLLOW_FIELDS = ["created_at"]
NOTIFICATION_FIELDS = ["id", "kind", "message", "created_at", "read_at", "emailed_at"]
OUTBOX_FIELDS = [
    "id",
    "to_address",
    "subject",
    "body_text",
    "kind",
    "dedupe_key",
    "unsubscribe_url",
    "created_at",
    "send_after",
    "attempts",
    "last_error",
    "claimed_until",
]
SITE_MODE_FIELDS = ["read_only", "premoderate_all", "message", "updated_at"]
LOG_FIELDS = [
    "id",
    "action_time",
    "object_id",
    "object_repr",
    "action_flag",
    "change_message",
]


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block in one read-only transaction that sees one moment.

    PostgreSQL: REPEATABLE READ, so rows committed meanwhile stay invisible.
    SQLite (WAL): a deferred transaction reads one snapshot from its first
    SELECT and, unlike the site's IMMEDIATE transactions, takes no write lock,
    so the site keeps taking comments while the export runs. Inside a caller's
    transaction, that transaction is the snapshot.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    # Connect (and run any health check) before the transaction begins, so
    # that SET TRANSACTION is its first statement.
    connection.cursor().close()
    if connection.vendor == "sqlite":
        mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
        try:
            with transaction.atomic(using=using):
                # BEGIN DEFERRED has run; the site's own mode for the rest.
                connection.transaction_mode = mode
                yield
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        yield


class _Writer:
    """Writes the document piece by piece: one record per line."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.first_key = True

    def value(self, key: str, value: Any) -> None:
        self._key(key)
        self.stream.write(json.dumps(value, ensure_ascii=False))

    def records(self, key: str, records: Iterable[dict]) -> None:
        self._key(key)
        self.stream.write("[")
        separator = "\n"
        for record in records:
            self.stream.write(separator)
            self.stream.write(json.dumps(record, ensure_ascii=False))
            separator = ",\n"
        self.stream.write("\n]" if separator == ",\n" else "]")

    def close(self) -> None:
        self.stream.write("\n}\n")

    def _key(self, key: str) -> None:
        self.stream.write("{\n" if self.first_key else ",\n")
        self.first_key = False
        self.stream.write(json.dumps(key) + ": ")


def export_site(
    stream: IO[str],
    include_password_hashes: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, int]:
    """Write the whole site to `stream` as one JSON document (see the module).

    Reads everything in one snapshot and writes as it reads: memory holds one
    chunk of rows plus maps of usernames, slugs and comment numbers by id.
    Runs a few queries per CHUNK rows. Returns the number of records per list.
    """
    counts: dict[str, int] = {}

    def counted(key: str, records: Iterable[dict]) -> Iterator[dict]:
        counts[key] = 0
        for record in records:
            counts[key] += 1
            yield record

    with read_snapshot(using):
        out = _Writer(stream)
        out.value("format", FORMAT)
        out.value("version", VERSION)
        out.value("exported_at", _json_value(datetime.now(UTC)))
        out.value("site", _export_site_settings(using))
        names = dict(User.objects.using(using).values_list("id", "username"))
        slugs = dict(Article.objects.using(using).values_list("id", "slug"))
        comment_refs = {
            pk: [slugs[article_id], number]
            for pk, article_id, number in Comment.objects.using(using)
            .values_list("id", "article_id", "number")
            .iterator(chunk_size=CHUNK)
        }
        sections = [
            ("groups", _export_groups(using)),
            ("users", _export_users(using, include_password_hashes)),
            ("sections", _export_simple(Section, SECTION_FIELDS, using)),
            ("tags", _export_simple(Tag, TAG_FIELDS, using)),
            ("authors", _export_authors(using, names)),
            ("articles", _export_articles(using)),
            ("error_reports", _export_error_reports(using, names, slugs)),
            ("comments", _export_comments(using, names, slugs, comment_refs)),
            ("reports", _export_reports(using, names, comment_refs)),
            ("audit_entries", _export_audit(using, names, comment_refs)),
            ("words", _export_words(using, names)),
            ("preferences", _export_preferences(using, names)),
            ("follows", _export_follows(using, names, slugs)),
            ("notifications", _export_notifications(using, names, slugs, comment_refs)),
            ("outbox", _export_outbox(using, names)),
            ("admin_log", _export_admin_log(using, names)),
            ("imported_authors", _export_imported_authors(using, names)),
            ("imported_comments", _export_imported_comments(using, comment_refs)),
        ]
        for key, records in sections:
            out.records(key, counted(key, records))
        out.close()
    return counts


def _export_site_settings(using: str) -> dict:
    site = Site.objects.using(using).filter(pk=_site_id()).first()
    mode = SiteMode.objects.using(using).filter(pk=1).first() or SiteMode(pk=1)
    return {
        "name": site.name if site else "",
        "domain": site.domain if site else "",
        "mode": _plain(mode, SITE_MODE_FIELDS),
    }


def _site_id() -> int:
    from django.conf import settings

    return getattr(settings, "SITE_ID", 1)


def _permission_names(permissions) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


def _export_groups(using: str) -> Iterator[dict]:
    permissions = Prefetch(
        "permissions",
        queryset=Permission.objects.using(using).select_related("content_type"),
    )
    for group in (
        Group.objects.using(using).order_by("name").prefetch_related(permissions)
    ):
        yield {
            "name": group.name,
            "permissions": _permission_names(group.permissions.all()),
        }


def _export_users(using: str, include_password_hashes: bool) -> Iterator[dict]:
    fields = [*USER_FIELDS, "password"] if include_password_hashes else USER_FIELDS
    rows = User.objects.using(using).order_by("id").values(*fields)
    Groups, Permissions = User.groups.through, User.user_permissions.through
    for chunk in _chunks(rows.iterator(chunk_size=CHUNK)):
        ids = [row["id"] for row in chunk]
        groups = _grouped(
            Groups.objects.using(using)
            .filter(user_id__in=ids)
            .order_by("group__name")
            .values_list("user_id", "group__name")
        )
        permissions = _grouped(
            Permissions.objects.using(using)
            .filter(user_id__in=ids)
            .order_by("permission__content_type__app_label", "permission__codename")
            .values_list(
                "user_id", "permission__content_type__app_label", "permission__codename"
            ),
            lambda row: f"{row[1]}.{row[2]}",
        )
        for row in chunk:
            record = _values(row, USER_FIELDS)
            record["groups"] = groups.get(row["id"], [])
            record["permissions"] = permissions.get(row["id"], [])
            if include_password_hashes:
                record["password"] = row["password"]
            yield record


def _export_simple(model, fields: list[str], using: str) -> Iterator[dict]:
    for obj in model.objects.using(using).order_by("id").iterator(chunk_size=CHUNK):
        yield _plain(obj, fields)


def _export_authors(using: str, names: dict[int, str]) -> Iterator[dict]:
    for author in Author.objects.using(using).order_by("id").iterator(CHUNK):
        yield {**_plain(author, AUTHOR_FIELDS), "user": names.get(author.user_id)}


def _export_articles(using: str) -> Iterator[dict]:
    articles = (
        Article.objects.using(using)
        .order_by("id")
        .select_related("section", "translation_of")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.using(using).order_by("slug")),
            Prefetch(
                "byline_set",
                queryset=Byline.objects.using(using)
                .select_related("author")
                .order_by("position", "id"),
            ),
            Prefetch(
                "sources",
                queryset=Source.objects.using(using).order_by("position", "id"),
            ),
        )
    )
    for article in articles.iterator(chunk_size=CHUNK):
        record = _plain(article, ARTICLE_FIELDS)
        record["section"] = article.section.slug
        record["translation_of"] = (
            article.translation_of.slug if article.translation_of else None
        )
        record["tags"] = [tag.slug for tag in article.tags.all()]
        record["bylines"] = [
            {"author": b.author.slug, **_plain(b, BYLINE_FIELDS)}
            for b in article.byline_set.all()
        ]
        record["sources"] = [_plain(s, SOURCE_FIELDS) for s in article.sources.all()]
        yield record


def _export_error_reports(using, names, slugs) -> Iterator[dict]:
    for report in ErrorReport.objects.using(using).order_by("id").iterator(CHUNK):
        yield {
            **_plain(report, ERROR_REPORT_FIELDS),
            "article": slugs[report.article_id],
            "reporter": names.get(report.reporter_id),
        }


def _export_comments(using, names, slugs, comment_refs) -> Iterator[dict]:
    # Rows as values and children fetched per chunk: a prefetch would build
    # three querysets per comment, most of the export's time on long threads.
    rows = (
        Comment.objects.using(using)
        .order_by("article_id", "path")
        .values(*COMMENT_FIELDS, "article_id", "author_id", "parent_id")
    )
    for chunk in _chunks(rows.iterator(chunk_size=CHUNK)):
        ids = [row["id"] for row in chunk]
        revisions = _grouped(
            CommentRevision.objects.using(using)
            .filter(comment_id__in=ids)
            .order_by("created_at", "id")
            .values("comment_id", *REVISION_FIELDS),
            lambda row: _values(row, REVISION_FIELDS),
        )
        quotes = _grouped(
            Quote.objects.using(using)
            .filter(comment_id__in=ids)
            .order_by("position", "id")
            .values("comment_id", *QUOTE_FIELDS),
            lambda row: _values(row, QUOTE_FIELDS),
        )
        votes = _grouped(
            Vote.objects.using(using)
            .filter(comment_id__in=ids)
            .order_by("id")
            .values("comment_id", "user_id", *VOTE_FIELDS),
            lambda row: {"user": names[row["user_id"]], **_values(row, VOTE_FIELDS)},
        )
        for row in chunk:
            pk = row["id"]
            parent = _ref(comment_refs, row["parent_id"])
            record = _values(row, COMMENT_FIELDS)
            record["article"] = slugs[row["article_id"]]
            record["parent"] = parent[1] if parent else None
            record["author"] = names.get(row["author_id"])
            record["revisions"] = revisions.get(pk, [])
            record["quotes"] = quotes.get(pk, [])
            record["votes"] = votes.get(pk, [])
            yield record


def _export_reports(using, names, comment_refs) -> Iterator[dict]:
    for report in Report.objects.using(using).order_by("id").iterator(CHUNK):
        yield {
            **_plain(report, REPORT_FIELDS),
            "comment": comment_refs[report.comment_id],
            "reporter": names.get(report.reporter_id),
            "resolved_by": names.get(report.resolved_by_id),
        }


def _export_audit(using, names, comment_refs) -> Iterator[dict]:
    for entry in AuditEntry.objects.using(using).order_by("id").iterator(CHUNK):
        yield {
            **_plain(entry, AUDIT_FIELDS),
            "actor": names.get(entry.actor_id),
            "comment": _ref(comment_refs, entry.comment_id),
            "reader": names.get(entry.reader_id),
        }


def _export_words(using, names) -> Iterator[dict]:
    for word in WordEntry.objects.using(using).order_by("id").iterator(CHUNK):
        yield {**_plain(word, WORD_FIELDS), "created_by": names.get(word.created_by_id)}


def _export_preferences(using, names) -> Iterator[dict]:
    for pref in Preference.objects.using(using).order_by("user_id").iterator(CHUNK):
        yield {"user": names[pref.user_id], **_plain(pref, PREFERENCE_FIELDS)}


def _export_follows(using, names, slugs) -> Iterator[dict]:
    for follow in Follow.objects.using(using).order_by("id").iterator(CHUNK):
        yield {
            "user": names[follow.user_id],
            "article": slugs[follow.article_id],
            **_plain(follow, FOLLOW_FIELDS),
        }


def _export_imported_authors(using, names) -> Iterator[dict]:
    rows = ImportedAuthor.objects.using(using).order_by("id")
    for source, user_id in rows.values_list("source", "user_id").iterator(CHUNK):
        yield {"source": source, "user": names[user_id]}


def _export_imported_comments(using, comment_refs) -> Iterator[dict]:
    rows = ImportedComment.objects.using(using).order_by("id")
    for source, comment_id in rows.values_list("source", "comment_id").iterator(CHUNK):
        yield {"source": source, "comment": comment_refs[comment_id]}


def _export_notifications(using, names, slugs, comment_refs) -> Iterator[dict]:
    for note in Notification.objects.using(using).order_by("id").iterator(CHUNK):
        yield {
            **_plain(note, NOTIFICATION_FIELDS),
            "recipient": names[note.recipient_id],
            "comment": _ref(comment_refs, note.comment_id),
            "article": slugs.get(note.article_id),
            "actor": names.get(note.actor_id),
        }


def _export_outbox(using, names) -> Iterator[dict]:
    # Mail already sent is a log, not content; unsent mail must not be lost.
    unsent = OutboxMessage.objects.using(using).filter(sent_at__isnull=True)
    for message in unsent.order_by("id").iterator(CHUNK):
        yield {
            **_plain(message, OUTBOX_FIELDS),
            "recipient": names.get(message.recipient_id),
        }


def _export_admin_log(using, names) -> Iterator[dict]:
    entries = (
        LogEntry.objects.using(using).order_by("id").select_related("content_type")
    )
    for entry in entries.iterator(CHUNK):
        content_type = entry.content_type
        yield {
            **_plain(entry, LOG_FIELDS),
            "user": names[entry.user_id],
            "content_type": (
                [content_type.app_label, content_type.model] if content_type else None
            ),
        }


# --- Restore -------------------------------------------------------------------

#: The lists of a document, in the order they are restored.
LISTS = [
    "groups",
    "users",
    "sections",
    "tags",
    "authors",
    "articles",
    "error_reports",
    "comments",
    "reports",
    "audit_entries",
    "words",
    "preferences",
    "follows",
    "notifications",
    "outbox",
    "admin_log",
    "imported_authors",
    "imported_comments",
]
#: Tables that must be empty before a restore. Groups, the site and the site
#: mode are not among them: migrate creates those, and restore updates them.
CONTENT_MODELS = [
    User,
    Section,
    Tag,
    Author,
    Article,
    ErrorReport,
    Comment,
    CommentRevision,
    Vote,
    Report,
    AuditEntry,
    WordEntry,
    Preference,
    Follow,
    Notification,
    OutboxMessage,
    LogEntry,
    ImportedAuthor,
    ImportedComment,
]


class _Record:
    """One record being restored, for messages that say where it was."""

    def __init__(self, key: str, index: int, data: Any):
        if not isinstance(data, dict):
            raise RestoreError(f"{key}[{index}]: expected an object")
        self.key, self.index, self.data = key, index, data

    def where(self) -> str:
        label = next(
            (
                f" ({name} {self.data[name]!r})"
                for name in ("id", "slug", "username", "name", "text")
                if isinstance(self.data.get(name), str | int)
            ),
            "",
        )
        return f"{self.key}[{self.index}]{label}"

    def error(self, problem: str) -> RestoreError:
        return RestoreError(f"{self.where()}: {problem}")

    def get(self, name: str, default: Any = ...) -> Any:
        if name not in self.data:
            if default is ...:
                raise self.error(f'"{name}" is missing')
            return default
        return self.data[name]

    def fill(self, obj: Model, names: Iterable[str]) -> Model:
        """Set plain fields from the record, converted and checked as the
        model's fields would (types, choices, lengths)."""
        for name in names:
            field = obj._meta.get_field(name)
            value = self.get(name)
            try:
                if isinstance(value, list | dict) and not isinstance(field, JSONField):
                    raise ValidationError(f"expected one value, found {value!r}")
                try:
                    value = field.to_python(value)
                except (TypeError, ValueError, OverflowError):
                    raise ValidationError(f"cannot read {value!r}") from None
                _check_storable(field, value)
                if value is None and not field.null:
                    raise ValidationError("may not be null")
                if value is not None and field.choices:
                    allowed = {choice for choice, _ in field.flatchoices}
                    if value not in allowed:
                        raise ValidationError(f"{value!r} is not one of {allowed}")
                max_length = getattr(field, "max_length", None)
                if isinstance(value, str) and max_length and len(value) > max_length:
                    raise ValidationError(f"longer than {max_length} characters")
            except ValidationError as e:
                raise self.error(f'"{name}": {"; ".join(e.messages)}') from None
            setattr(obj, field.attname, value)
        return obj

    def list(self, name: str) -> list:
        value = self.get(name, [])
        if not isinstance(value, list):
            raise self.error(f'"{name}" must be a list')
        return value

    def names(self, name: str) -> list[str]:
        """The list `name`, whose items must be strings (natural keys)."""
        value = self.list(name)
        for item in value:
            if not isinstance(item, str):
                raise self.error(f'"{name}" must be a list of strings, not {item!r}')
        return value


#: NUL (PostgreSQL refuses it) and lone surrogates, which JSON can spell
#: ("\\ud800") but no database encoding can store.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> str | None:
    """The first character of `value` (or of a string inside it) that no
    database stores, or None."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return found.group() if found else None
    if isinstance(value, list):
        return next(filter(None, map(_unstorable, value)), None)
    if isinstance(value, dict):
        return _unstorable(list(value)) or _unstorable(list(value.values()))
    return None


def _check_storable(field, value) -> None:
    """Refuse what the database would refuse, or keep wrongly, on any backend:
    integers out of the column's range (SQLite takes 64 bits everywhere),
    NUL characters and lone surrogates (see _UNSTORABLE), a moment without a UTC offset
    (the export always writes one) or one that leaves the calendar in UTC."""
    if isinstance(value, int) and not isinstance(value, bool):
        internal = field.get_internal_type()
        low, high = BaseDatabaseOperations.integer_field_ranges.get(
            internal, (None, None)
        )
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError(f"{value} is out of range for {internal}")
    if (char := _unstorable(value)) is not None:
        name = "a NUL character" if char == "\x00" else f"a lone surrogate {char!r}"
        raise ValidationError(f"holds {name}")
    if isinstance(field, DateTimeField) and isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(f"{value.isoformat()} has no UTC offset")
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(f"{value.isoformat()} is out of range") from None


class _Keys:
    """Natural keys seen so far -> ids of the rows restored for them."""

    def __init__(self):
        self.users: dict[str, int] = {}
        self.sections: dict[str, int] = {}
        self.tags: dict[str, int] = {}
        self.authors: dict[str, int] = {}
        self.articles: dict[str, int] = {}
        self.comments: dict[tuple[int, str], int] = {}
        self.groups: dict[str, int] | None = None
        self.permissions: dict[str, int] | None = None

    def resolve(self, record: _Record, name: str, table: str, optional=False):
        value = record.get(name, None if optional else ...)
        if value is None:
            if optional:
                return None
            raise record.error(f'"{name}" may not be null')
        found = getattr(self, table).get(value) if isinstance(value, str) else None
        if found is None:
            raise record.error(f'"{name}" names an unknown {table[:-1]}: {value!r}')
        return found

    def comment(self, record: _Record, name: str, optional=False) -> int | None:
        value = record.get(name, None if optional else ...)
        if value is None and optional:
            return None
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, str) for v in value)
        ):
            raise record.error(f'"{name}" must be [article slug, comment number]')
        article = self.articles.get(value[0])
        found = self.comments.get((article, value[1]))
        if found is None:
            raise record.error(f'"{name}" names an unknown comment: {value!r}')
        return found


class _Inserter:
    """Collects new rows per model and writes them in batches, as they are."""

    def __init__(self, using: str):
        self.using = using
        self.pending: dict[type[Model], list[Model]] = {}

    def add(self, obj: Model) -> None:
        rows = self.pending.setdefault(type(obj), [])
        rows.append(obj)
        if len(rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        # Parents before children, in the order their models were first seen.
        for model, rows in self.pending.items():
            self._insert(model, rows)
        self.pending = {}

    def _insert(self, model: type[Model], rows: list[Model]) -> None:
        if not rows:
            return
        connection = connections[self.using]
        fields = [
            f
            for f in model._meta.concrete_fields
            if rows[0].pk is not None or not f.primary_key
        ]
        size = max(1, connection.ops.bulk_batch_size(fields, rows))
        for start in range(0, len(rows), size):
            # raw=True writes the values as given, as loaddata does: without
            # it auto_now/auto_now_add would stamp every row with the time of
            # the restore. No signals are sent, so nothing is notified.
            model._base_manager.using(self.using)._insert(
                rows[start : start + size], fields=fields, raw=True, using=self.using
            )


def restore_site(stream: IO[str], using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Load a document written by export_site into an empty database.

    All or nothing: one transaction; a non-empty database, an unknown format
    or version, or a broken record raises RestoreError naming the record, and
    nothing is written. Ids are kept (sequences moved past them). No action
    runs: no notification, reputation change or audit entry comes from the
    restore itself. After commit the default cache is emptied (see
    _forget_caches) and the search index is rebuilt from the restored
    articles and comments. Reads the whole document into memory first. Returns the
    number of records restored per list.
    """
    try:
        document = json.load(stream)
    except json.JSONDecodeError as e:
        raise RestoreError(
            f"not a JSON document: line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    except UnicodeDecodeError as e:
        raise RestoreError(f"not UTF-8 text: {e.reason}") from None
    except RecursionError:
        raise RestoreError(
            "not a Tribune export: lists or objects nested too deeply to read"
        ) from None
    except ValueError as e:
        # A number of more than 4,300 digits, which json refuses to convert.
        raise RestoreError(f"not a JSON document: {e}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RestoreError(f'not a Tribune export (its "format" is not "{FORMAT}")')
    if document.get("version") != VERSION:
        raise RestoreError(
            f"unsupported export version {document.get('version')!r}; "
            f"this Tribune restores version {VERSION}"
        )
    for key in LISTS:
        if not isinstance(document.get(key, []), list):
            raise RestoreError(f'"{key}" must be a list')
    if not isinstance(document.get("site", {}), dict):
        raise RestoreError('"site" must be an object')

    counts: dict[str, int] = {}
    try:
        with transaction.atomic(using=using):
            _restore(document, counts, using)
            # The rows went in without signals; the index is built from them.
            from newsroom import search

            search.rebuild()
    except DatabaseError as e:
        raise RestoreError(f"the database refused the document: {e}") from None
    return counts


def _restore(document: dict, counts: dict[str, int], using: str) -> None:
    _check_empty(using)
    keys = _Keys()
    out = _Inserter(using)
    _restore_site_settings(document.get("site", {}), using)
    restorers = {
        "groups": _restore_group,
        "users": _restore_user,
        "sections": _restore_section,
        "tags": _restore_tag,
        "authors": _restore_author,
        "articles": _restore_article,
        "error_reports": _restore_error_report,
        "comments": _restore_comment,
        "reports": _restore_report,
        "audit_entries": _restore_audit,
        "words": _restore_word,
        "preferences": _restore_preference,
        "follows": _restore_follow,
        "notifications": _restore_notification,
        "outbox": _restore_outbox,
        "admin_log": _restore_log,
        "imported_authors": _restore_imported_author,
        "imported_comments": _restore_imported_comment,
    }
    translations: list[tuple[int, int]] = []
    for key in LISTS:
        records = document.get(key, [])
        counts[key] = len(records)
        pending_translations: list[tuple[_Record, int]] = []
        for index, data in enumerate(records):
            record = _Record(key, index, data)
            result = restorers[key](record, keys, out, using)
            if key == "articles" and result is not None:
                pending_translations.append((record, result))
        out.flush()
        # An article may be the translation of one listed after it.
        for record, article_id in pending_translations:
            original = keys.resolve(record, "translation_of", "articles")
            translations.append((article_id, original))
    for article_id, original in translations:
        Article.objects.using(using).filter(pk=article_id).update(
            translation_of_id=original
        )
    _reset_sequences(using)
    transaction.on_commit(_forget_caches, using=using)


def _check_empty(using: str) -> None:
    found = [
        f"{model._meta.verbose_name_plural} ({count})"
        for model in CONTENT_MODELS
        if (count := model._base_manager.using(using).count())
    ]
    if found:
        raise RestoreError(
            "the database is not empty: it holds " + ", ".join(found) + ". "
            "Restore into a new database (tribune migrate on an empty one)."
        )


def _restore_site_settings(site: dict, using: str) -> None:
    record = _Record("site", 0, site)
    if "domain" in site or "name" in site:
        current = Site.objects.using(using).filter(pk=_site_id()).first() or Site(
            pk=_site_id()
        )
        record.fill(current, ["name", "domain"])
        current.save(using=using)
    if "mode" in site:
        mode = _Record("site.mode", 0, site["mode"])
        row = mode.fill(SiteMode(pk=1), SITE_MODE_FIELDS)
        SiteMode.objects.using(using).update_or_create(
            pk=1, defaults={name: getattr(row, name) for name in SITE_MODE_FIELDS}
        )
        # update_or_create stamped updated_at (auto_now): put the exported one.
        SiteMode.objects.using(using).filter(pk=1).update(updated_at=row.updated_at)


def _permissions(record: _Record, keys: _Keys, using: str) -> list[int]:
    """Ids of the permissions the record names ("app_label.codename")."""
    if keys.permissions is None:
        keys.permissions = {
            f"{app_label}.{codename}": pk
            for pk, app_label, codename in Permission.objects.using(using).values_list(
                "pk", "content_type__app_label", "codename"
            )
        }
    found = []
    for name in record.names("permissions"):
        if name not in keys.permissions:
            raise record.error(f"unknown permission {name!r}")
        found.append(keys.permissions[name])
    return found


def _restore_group(record: _Record, keys: _Keys, out: _Inserter, using: str):
    name = record.get("name")
    if not isinstance(name, str) or not name:
        raise record.error('"name" must be a non-empty string')
    try:
        _check_storable(Group._meta.get_field("name"), name)
    except ValidationError as e:
        raise record.error(f'"name": {"; ".join(e.messages)}') from None
    if len(name) > Group._meta.get_field("name").max_length:
        raise record.error('"name" is too long for a group name')
    group, _ = Group.objects.using(using).get_or_create(name=name)
    # Added to, never taken from: a newer Tribune may grant its roles more.
    group.permissions.add(*_permissions(record, keys, using))
    keys.groups = None


def _restore_user(record: _Record, keys: _Keys, out: _Inserter, using: str):
    user = record.fill(User(), USER_FIELDS)
    user.username_key = fold_username(user.username)
    if "password" in record.data:
        record.fill(user, ["password"])
    else:
        user.set_unusable_password()
    if user.username in keys.users:
        raise record.error(f"username {user.username!r} appears twice")
    keys.users[user.username] = user.pk
    out.add(user)
    if keys.groups is None:
        keys.groups = dict(Group.objects.using(using).values_list("name", "pk"))
    for name in record.names("groups"):
        if name not in keys.groups:
            raise record.error(f"unknown group {name!r}")
        out.add(User.groups.through(user_id=user.pk, group_id=keys.groups[name]))
    for permission_id in _permissions(record, keys, using):
        out.add(
            User.user_permissions.through(user_id=user.pk, permission_id=permission_id)
        )


def _restore_section(record, keys, out, using):
    section = record.fill(Section(), SECTION_FIELDS)
    keys.sections[section.slug] = section.pk
    out.add(section)


def _restore_tag(record, keys, out, using):
    tag = record.fill(Tag(), TAG_FIELDS)
    keys.tags[tag.slug] = tag.pk
    out.add(tag)


def _restore_author(record, keys, out, using):
    author = record.fill(Author(), AUTHOR_FIELDS)
    author.user_id = keys.resolve(record, "user", "users", optional=True)
    keys.authors[author.slug] = author.pk
    out.add(author)


def _restore_article(record, keys, out, using) -> int | None:
    article = record.fill(Article(), ARTICLE_FIELDS)
    article.section_id = keys.resolve(record, "section", "sections")
    keys.articles[article.slug] = article.pk
    out.add(article)
    for slug in record.names("tags"):
        tag_id = keys.tags.get(slug)
        if tag_id is None:
            raise record.error(f"unknown tag {slug!r}")
        out.add(Article.tags.through(article_id=article.pk, tag_id=tag_id))
    for index, data in enumerate(record.list("bylines")):
        sub = _Record(f"{record.where()}.bylines", index, data)
        byline = sub.fill(Byline(article_id=article.pk), BYLINE_FIELDS)
        byline.author_id = keys.resolve(sub, "author", "authors")
        out.add(byline)
    for index, data in enumerate(record.list("sources")):
        sub = _Record(f"{record.where()}.sources", index, data)
        out.add(sub.fill(Source(article_id=article.pk), SOURCE_FIELDS))
    if record.get("translation_of", None) is not None:
        return article.pk
    return None


def _restore_error_report(record, keys, out, using):
    report = record.fill(ErrorReport(), ERROR_REPORT_FIELDS)
    report.article_id = keys.resolve(record, "article", "articles")
    report.reporter_id = keys.resolve(record, "reporter", "users", optional=True)
    out.add(report)


def _restore_comment(record, keys, out, using):
    comment = record.fill(Comment(), COMMENT_FIELDS)
    comment.article_id = keys.resolve(record, "article", "articles")
    comment.author_id = keys.resolve(record, "author", "users", optional=True)
    parent = record.get("parent", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise record.error(f'"parent" must be a comment number, not {parent!r}')
        comment.parent_id = keys.comments.get((comment.article_id, parent))
        if comment.parent_id is None:
            raise record.error(
                f"its parent {parent!r} is not among the comments before it"
            )
    number = (comment.article_id, comment.number)
    if number in keys.comments:
        raise record.error(f"number {comment.number!r} appears twice in its article")
    keys.comments[number] = comment.pk
    out.add(comment)
    for index, data in enumerate(record.list("revisions")):
        sub = _Record(f"{record.where()}.revisions", index, data)
        out.add(sub.fill(CommentRevision(comment_id=comment.pk), REVISION_FIELDS))
    for index, data in enumerate(record.list("quotes")):
        sub = _Record(f"{record.where()}.quotes", index, data)
        out.add(sub.fill(Quote(comment_id=comment.pk), QUOTE_FIELDS))
    for index, data in enumerate(record.list("votes")):
        sub = _Record(f"{record.where()}.votes", index, data)
        vote = sub.fill(Vote(comment_id=comment.pk), VOTE_FIELDS)
        vote.user_id = keys.resolve(sub, "user", "users")
        out.add(vote)


def _restore_report(record, keys, out, using):
    report = record.fill(Report(), REPORT_FIELDS)
    report.comment_id = keys.comment(record, "comment")
    report.reporter_id = keys.resolve(record, "reporter", "users", optional=True)
    report.resolved_by_id = keys.resolve(record, "resolved_by", "users", optional=True)
    out.add(report)


def _restore_audit(record, keys, out, using):
    entry = record.fill(AuditEntry(), AUDIT_FIELDS)
    entry.actor_id = keys.resolve(record, "actor", "users", optional=True)
    entry.comment_id = keys.comment(record, "comment", optional=True)
    entry.reader_id = keys.resolve(record, "reader", "users", optional=True)
    out.add(entry)


def _restore_word(record, keys, out, using):
    word = record.fill(WordEntry(), WORD_FIELDS)
    word.created_by_id = keys.resolve(record, "created_by", "users", optional=True)
    out.add(word)


def _restore_preference(record, keys, out, using):
    preference = record.fill(Preference(), PREFERENCE_FIELDS)
    preference.user_id = keys.resolve(record, "user", "users")
    out.add(preference)


def _restore_follow(record, keys, out, using):
    follow = record.fill(Follow(), FOLLOW_FIELDS)
    follow.user_id = keys.resolve(record, "user", "users")
    follow.article_id = keys.resolve(record, "article", "articles")
    out.add(follow)


def _restore_imported_author(record, keys, out, using):
    link = record.fill(ImportedAuthor(), ["source"])
    link.user_id = keys.resolve(record, "user", "users")
    out.add(link)


def _restore_imported_comment(record, keys, out, using):
    link = record.fill(ImportedComment(), ["source"])
    link.comment_id = keys.comment(record, "comment")
    out.add(link)


def _restore_notification(record, keys, out, using):
    note = record.fill(Notification(), NOTIFICATION_FIELDS)
    note.recipient_id = keys.resolve(record, "recipient", "users")
    note.comment_id = keys.comment(record, "comment", optional=True)
    note.article_id = keys.resolve(record, "article", "articles", optional=True)
    note.actor_id = keys.resolve(record, "actor", "users", optional=True)
    out.add(note)


def _restore_outbox(record, keys, out, using):
    message = record.fill(OutboxMessage(), OUTBOX_FIELDS)
    message.recipient_id = keys.resolve(record, "recipient", "users", optional=True)
    out.add(message)


def _restore_log(record, keys, out, using):
    entry = record.fill(LogEntry(), LOG_FIELDS)
    entry.user_id = keys.resolve(record, "user", "users")
    content_type = record.get("content_type", None)
    if content_type is not None:
        try:
            app_label, model = content_type
            entry.content_type_id = (
                ContentType.objects.db_manager(using)
                .get_by_natural_key(app_label, model)
                .pk
            )
        except (ValueError, TypeError, ContentType.DoesNotExist):
            raise record.error(f"unknown content type {content_type!r}") from None
    out.add(entry)


def _reset_sequences(using: str) -> None:
    """Move id sequences past the ids written (PostgreSQL; SQLite needs none)."""
    connection = connections[using]
    models = [apps.get_model(label) for label in EXPORTED]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _forget_caches() -> None:
    """Nothing cached before the restore describes the restored site: thread
    renderings are keyed by article id and version, which a restored article
    may share with an earlier one."""
    from django.core.cache import caches

    from moderation.words import bump_version
    from newsroom.pagecache import forget

    caches["default"].clear()
    forget()
    bump_version()
