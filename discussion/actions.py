"""Every change to a discussion goes through these functions.

Each validates, writes inside one transaction and records the change with
newsroom.pagecache.bump_thread, so cached renderings of the thread go stale.
Views call them and turn CommentRefused into a message next to the reader's
kept text.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from discussion import quotes as quote_matching
from discussion.models import Comment, CommentRevision, Quote, Vote, path_segment
from discussion.thread import as_utc
from lib.db import write_transaction
from lib.markdown import (
    ParsedComment,
    QuoteLink,
    article_paragraphs,
    comment_quotes,
    plain_paragraphs,
    render_comment,
)
from lib.prepared import PreparedInsert, PreparedQuery
from lib.ratelimit import describe_wait
from moderation import policy
from moderation.models import SiteMode
from moderation.words import check_text
from newsroom import search
from newsroom.models import Article
from newsroom.pagecache import bump_thread


def comment_became_visible(comment: Comment, *, new: bool = False) -> None:
    """Tell readers about a comment they can now see.

    Runs inside the transaction that published it, so a crash loses no
    notification and a rollback sends none. `new`: the comment was created in
    this transaction (posted, not approved or restored).
    """
    from discussion.live import publish_new_comment
    from notifications.actions import comment_published

    comment_published(comment, new=new)
    publish_new_comment(comment)


class CommentRefused(Exception):
    """The action was refused; `message` says why in words a reader understands."""

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def new_client_token() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class FoundQuote:
    text: str
    source: str
    passage: str
    paragraph: int | None


def find_quotes(
    body: str | ParsedComment, article: Article, parent: Comment | None
) -> list[FoundQuote]:
    """Match each blockquote of `body` to a passage of the parent or the article.

    Parses the article body once; runs no queries.
    """
    texts = body.quotes() if isinstance(body, ParsedComment) else comment_quotes(body)
    if not texts:
        return []
    parent_paragraphs = plain_paragraphs(parent.body) if parent is not None else []
    paragraphs = article_paragraphs(article.body)
    found = []
    for text in texts:
        match = quote_matching.find_passage(text, parent_paragraphs)
        if match is not None:
            found.append(FoundQuote(text, Quote.Source.PARENT, match.passage, None))
            continue
        match = quote_matching.find_passage(text, paragraphs)
        if match is not None:
            found.append(
                FoundQuote(text, Quote.Source.ARTICLE, match.passage, match.paragraph)
            )
    return found


def render_body(
    body: str | ParsedComment, found: list[FoundQuote], parent: Comment | None
) -> str:
    """Return the comment's HTML, each matched quote linking to its passage."""
    by_text = {quote.text: quote for quote in found}

    def link(text: str) -> QuoteLink | None:
        quote = by_text.get(text)
        if quote is None:
            return None
        if quote.source == Quote.Source.PARENT and parent is not None:
            return QuoteLink(f"#c{parent.number}", f"quoting comment {parent.number}")
        return QuoteLink(f"#p-{quote.paragraph}", "from the article")

    if isinstance(body, ParsedComment):
        return body.html(link)
    return render_comment(body, link)


def _check_body(body: str) -> str:
    # NUL means nothing in text, and PostgreSQL refuses to store it.
    body = body.replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise CommentRefused(_("Write something before posting."))
    limit = settings.TRIBUNE_COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise CommentRefused(
            _(
                "Comments can be at most %(limit)s characters; this one has "
                "%(length)s. Shorten it and post again."
            )
            % {
                "limit": number_format(limit, force_grouping=True),
                "length": number_format(len(body), force_grouping=True),
            }
        )
    return body


# Rows of a reader's last hour the rate check reads at most in one query.
RATE_ROWS = 50


def _check_rate(author: User, now: datetime) -> None:
    """Refuse a comment posted too soon after the reader's last ones.

    Accounts younger than TRIBUNE_NEW_ACCOUNT_SECONDS get the tighter limits.
    Reads at most RATE_ROWS rows, however many the reader posted (one query;
    two when the hourly allowance is larger than RATE_ROWS and may be used
    up; none when the site sets neither limit).
    """
    young = policy.is_new_account(author, now)
    interval = settings.TRIBUNE_COMMENT_MIN_INTERVAL
    # 0: no hourly limit.
    per_hour = settings.TRIBUNE_COMMENTS_PER_HOUR
    if young:
        interval = max(interval, settings.TRIBUNE_NEW_ACCOUNT_MIN_INTERVAL)
        young_per_hour = settings.TRIBUNE_NEW_ACCOUNT_COMMENTS_PER_HOUR
        per_hour = min(per_hour or young_per_hour, young_per_hour)
    if not interval and not per_hour:
        return
    # Served by the discussion_by_author index, newest first. The usual
    # allowance (tens an hour) is read in one query; a very large one is not
    # read whole: its oldest is looked up on its own.
    since = now - timedelta(hours=1)
    rows = min(per_hour, RATE_ROWS) if per_hour else 1
    times = _recent_times(author, since, rows)
    if times and interval:
        wait = interval - int((now - times[0]).total_seconds())
        if wait > 0:
            raise CommentRefused(
                _("You are posting too fast. You can post again %(when)s.")
                % {"when": describe_wait(wait)},
                retry_after=wait,
            )
    if not per_hour or len(times) < rows:
        return
    if per_hour > RATE_ROWS:
        times = _recent_times(author, since, 1, offset=per_hour - 1)
        if not times:
            return
    # The oldest comment of the used-up allowance leaves the hour first.
    wait = max(1, int((times[-1] + timedelta(hours=1) - now).total_seconds()))
    raise CommentRefused(
        _(
            "You have posted %(count)s comments in the last hour. "
            "You can post again %(when)s."
        )
        % {"count": per_hour, "when": describe_wait(wait)},
        retry_after=wait,
    )


def _recent_times(
    author: User, since: datetime, limit: int, offset: int = 0
) -> list[datetime]:
    """The creation times of the author's comments after `since`, newest
    first, `limit` of them from the `offset`-th (one query).

    Plain SQL: every post asks this twice (before the work and again under
    the write lock), and the ORM spent more on building the query than the
    database on answering it.
    """
    table = connection.ops.quote_name(Comment._meta.db_table)
    column = "created_at"
    if connection.vendor == "sqlite":
        # As text: parsed below, as the thread does, without the driver's
        # slower converter.
        column = "CAST(created_at AS TEXT)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} "  # noqa: S608 - quoted table name
            "WHERE author_id = %s AND created_at > %s "
            "ORDER BY created_at DESC LIMIT %s OFFSET %s",
            [
                author.pk,
                connection.ops.adapt_datetimefield_value(since),
                limit,
                offset,
            ],
        )
        return [as_utc(value) for (value,) in cursor.fetchall()]


def check_can_write(user: User) -> None:
    """Refuse readers who may not write at all (anonymous, banned, suspended)."""
    if not user.is_authenticated:
        raise CommentRefused(_("Sign in to comment."))
    if not user.is_active:
        raise CommentRefused(_("Your account cannot post comments."))
    refusal = policy.account_refusal(user)
    if refusal:
        raise CommentRefused(refusal)


def check_can_comment(user: User, article: Article) -> None:
    check_can_write(user)
    if not article.is_visible:
        raise CommentRefused(_("This article is not published."))
    closed = policy.comments_closed_message(article)
    if closed:
        raise CommentRefused(closed)


def text_hash(body: str) -> str:
    return hashlib.sha256(policy.normalized_text(body).encode()).hexdigest()


# Texts shorter than this ("+1", "Agreed") may well be typed by many readers.
DUPLICATE_MIN_LENGTH = 40


def _check_duplicate(author: User, digest: str, body: str, now: datetime) -> str:
    """Refuse the reader's own repeat; return a hold reason for others' (2 queries)."""
    window = settings.TRIBUNE_DUPLICATE_WINDOW
    if not window:
        return ""
    since = now - timedelta(seconds=window)
    same = Comment.objects.filter(text_hash=digest, created_at__gt=since)
    if same.filter(author=author).exists():
        raise CommentRefused(
            _(
                "You have already posted this text. Add something new, or find "
                "your earlier comment in the discussion."
            )
        )
    if len(policy.normalized_text(body)) >= DUPLICATE_MIN_LENGTH and same.exists():
        return "the same text was just posted from another account"
    return ""


def _check_words(body: str) -> list[str]:
    """Refuse banned words; return the suspect words found."""
    hits = check_text(body)
    banned = sorted({hit.match for hit in hits if hit.kind == "banned"})
    if banned:
        listed = ", ".join(f"“{word}”" for word in banned)
        raise CommentRefused(
            _(
                "Your comment contains words that are not allowed here: "
                "%(words)s. Change them and post again; your text is kept below."
            )
            % {"words": listed}
        )
    return sorted({hit.match for hit in hits if hit.kind == "suspect"})


def post_comment(
    *,
    article: Article,
    author: User,
    body: str,
    parent: Comment | None = None,
    client_token: str = "",
    ip_address: str | None = None,
    now: datetime | None = None,
    edition: Article | None = None,
) -> Comment:
    """Publish a comment or a reply and return it.

    The number is the next free position under the parent (or at the top
    level): never reused, so removing a comment never renumbers others. Posting
    again with the same `client_token` returns the first comment, also when
    both submissions arrive at once. `edition` is the translation of
    `article` the reader posted from, if any: quotes of the article are looked
    for in the text they were reading.
    """
    if (comment := _posted_with(author, client_token)) is not None:
        return comment
    try:
        return _post_new_comment(
            article=article,
            author=author,
            body=body,
            parent=parent,
            client_token=client_token,
            ip_address=ip_address,
            now=now or timezone.now(),
            edition=edition,
        )
    except (CommentRefused, IntegrityError):
        # The same form sent twice at once (a double click, or a retry after
        # an answer lost on the way): the other submission, taken while this
        # one was checked, makes it fail the pace, repeated-text or unique
        # token check. Its answer is the comment the other one made, not a
        # refusal that would tell the reader their comment was not posted.
        if (comment := _posted_with(author, client_token)) is not None:
            return comment
        raise


def _posted_with(author: User, client_token: str) -> Comment | None:
    """The reader's comment posted with this form's token, if any (1 query).

    The index that serves it (discussion_comment_token_unique) is partial,
    for non-empty tokens: the query repeats that condition so SQLite uses it,
    rather than reading every comment the reader ever posted; and it asks for
    no ordering, which would join the articles.
    """
    if not client_token or not author.is_authenticated:
        return None
    return _POSTED_WITH.first(author=author.pk, token=client_token)


# Asked before every post and made by every post (lib.prepared: compiled once).
_INSERT_COMMENT = PreparedInsert(Comment)
_LOCK_READER = PreparedQuery(
    lambda pk: (
        User.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk")
    ),
    pk=-7_000_003,
)
_POSTED_WITH = PreparedQuery(
    lambda author, token: (
        Comment.objects.filter(author=author, client_token=token)
        .exclude(client_token="")
        .order_by()[:1]
    ),
    author=-7_000_002,
    token="prepared:client-token",  # noqa: S106 - an example value, not a secret
)


def _post_new_comment(
    *, article, author, body, parent, client_token, ip_address, now, edition
) -> Comment:
    check_can_comment(author, article)
    body = _check_body(body)
    if parent is not None:
        if parent.article_id != article.pk:
            raise CommentRefused(_("That comment belongs to another article."))
        if parent.status != Comment.Status.PUBLISHED:
            raise CommentRefused(_("That comment is no longer there to reply to."))
    _check_rate(author, now)
    suspect = _check_words(body)
    digest = text_hash(body)
    reasons = policy.hold_reasons(author, body, suspect)
    duplicate = _check_duplicate(author, digest, body, now)
    if duplicate:
        reasons.append(duplicate)
    status = Comment.Status.PENDING if reasons else Comment.Status.PUBLISHED
    parsed = ParsedComment(body)
    found = find_quotes(parsed, edition or article, parent)
    comment = Comment(
        article=article,
        parent=parent,
        author=author,
        body=body,
        body_html=render_body(parsed, found, parent),
        created_at=now,
        client_token=client_token,
        ip_address=ip_address or None,
        status=status,
        hold_reason="; ".join(reasons)[:200],
        text_hash=digest,
    )
    search.prepare_comment(comment, parsed)

    with write_transaction():
        # Rows are locked parent comment first, then reader, then article:
        # the order of a vote (the comment's score, its author's reputation,
        # the thread's version). A reply by a comment's author and a vote on
        # that comment taking them the other way round each waited for the
        # other, and PostgreSQL aborted one of them as a deadlock.
        position = _take_position(article, parent) if parent is not None else None
        # Again under a lock on the reader's row: two posts of one reader
        # arriving at two processes at once must not both pass the limit
        # checked above (which stays, to refuse before the costly work).
        # (SQLite's IMMEDIATE transactions already serialize writers.) "No
        # key" lets rows that refer to the reader (a notification for them,
        # their vote) be written meanwhile: such a write waiting for this
        # lock while holding the thread's article made another deadlock.
        if connection.features.has_select_for_update:
            _LOCK_READER.rows(pk=author.pk)
        _check_rate(author, now)
        number, path, depth = position or _take_position(article, None)
        comment.number, comment.path, comment.depth = number, path, depth
        _INSERT_COMMENT.save(comment)
        save_quotes(comment, found)
        published = status == Comment.Status.PUBLISHED
        bump_thread(article.pk, comment_delta=1 if published else 0)
        if suspect and published:
            from moderation.actions import flag_suspect_words

            flag_suspect_words(comment, suspect)
        if published:
            comment_became_visible(comment, new=True)
    return comment


def _take_position(article, parent) -> tuple[str, str, int]:
    """Take the next position under `parent`; return (number, path, depth).

    Must run inside a transaction. The position is taken by one UPDATE ...
    RETURNING of the counter, which locks the counter's row until commit on
    PostgreSQL (concurrent replies to one parent queue there); SQLite's
    IMMEDIATE transactions already serialize writers. One query.
    """
    with connection.cursor() as cursor:
        if parent is None:
            table = connection.ops.quote_name(Article._meta.db_table)
            cursor.execute(
                f"UPDATE {table} SET comment_counter = comment_counter + 1 "  # noqa: S608 - names from the models
                "WHERE id = %s RETURNING comment_counter",
                [article.pk],
            )
            (position,) = cursor.fetchone()
            number, path, depth = str(position), path_segment(position), 0
        else:
            table = connection.ops.quote_name(Comment._meta.db_table)
            cursor.execute(
                f"UPDATE {table} SET reply_counter = reply_counter + 1 "  # noqa: S608 - names from the models
                "WHERE id = %s RETURNING reply_counter, number, path, depth",
                [parent.pk],
            )
            position, parent_number, parent_path, parent_depth = cursor.fetchone()
            number = f"{parent_number}.{position}"
            path = f"{parent_path}.{path_segment(position)}"
            depth = parent_depth + 1
    return number, path, depth


def save_quotes(comment: Comment, found: list[FoundQuote]) -> None:
    """Store the quotes found in a comment, in the order they appear (1
    query, none without quotes)."""
    if not found:
        return
    Quote.objects.bulk_create(
        Quote(
            comment=comment,
            source=quote.source,
            text=quote.text,
            passage=quote.passage,
            paragraph=quote.paragraph,
            position=position,
        )
        for position, quote in enumerate(found)
    )


def can_edit(user: User, comment: Comment, now: datetime | None = None) -> bool:
    """The author may edit a published comment within the edit window."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.TRIBUNE_EDIT_WINDOW_SECONDS)
    return (
        user.is_authenticated
        and comment.author_id == user.pk
        and comment.status == Comment.Status.PUBLISHED
        and now - comment.created_at <= window
    )


def edit_comment(
    *, comment: Comment, editor: User, body: str, now: datetime | None = None
) -> Comment:
    """Replace the comment's text, keeping the earlier one as a revision."""
    now = now or timezone.now()
    if comment.author_id != editor.pk:
        raise CommentRefused(_("You can only edit your own comments."))
    if not can_edit(editor, comment, now):
        minutes = settings.TRIBUNE_EDIT_WINDOW_SECONDS // 60
        raise CommentRefused(
            _(
                "Comments can be edited for %(minutes)s minutes after posting; "
                "this one can no longer be changed."
            )
            % {"minutes": minutes}
        )
    body = _check_body(body)
    if body == comment.body:
        return comment
    check_can_write(editor)
    closed = policy.comments_closed_message(comment.article, now)
    if closed:
        raise CommentRefused(closed)
    suspect = _check_words(body)
    parent = comment.parent
    found = find_quotes(body, comment.article, parent)
    with transaction.atomic():
        CommentRevision.objects.create(
            comment=comment,
            body=comment.body,
            created_at=comment.edited_at or comment.created_at,
        )
        comment.body = body
        comment.body_html = render_body(body, found, parent)
        comment.edited_at = now
        comment.text_hash = text_hash(body)
        comment.save(update_fields=["body", "body_html", "edited_at", "text_hash"])
        comment.quotes.all().delete()
        save_quotes(comment, found)
        if suspect and comment.status == Comment.Status.PUBLISHED:
            from moderation.actions import flag_suspect_words

            flag_suspect_words(comment, suspect)
        bump_thread(comment.article_id)
    return comment


def delete_comment(*, comment: Comment, user: User) -> Comment:
    """Mark the reader's own comment deleted; its text stays for moderators.

    The number stays taken; the thread shows a placeholder if replies remain.
    """
    if not user.is_authenticated or comment.author_id != user.pk:
        raise CommentRefused(_("You can only delete your own comments."))
    if comment.status in (Comment.Status.DELETED, Comment.Status.REMOVED):
        raise CommentRefused(_("That comment is already gone."))
    with transaction.atomic():
        was_visible = comment.status == Comment.Status.PUBLISHED
        Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.DELETED)
        comment.status = Comment.Status.DELETED
        bump_thread(comment.article_id, comment_delta=-1 if was_visible else 0)
    return comment


def cast_vote(*, comment: Comment, user: User, value: int) -> Comment:
    """Set the reader's vote on a comment to +1, −1, or 0 (no vote).

    Updates the comment's score and its author's reputation by the difference,
    so neither ever needs a SUM over votes. Returns the comment with fresh totals.
    """
    if value not in (1, -1, 0):
        raise CommentRefused(_("A vote is +1, −1, or withdrawn."))
    if not user.is_authenticated:
        raise CommentRefused(_("Sign in to vote."))
    check_can_write(user)
    if SiteMode.current().read_only:
        raise CommentRefused(policy.comments_closed_message(comment.article))
    if comment.author_id == user.pk:
        raise CommentRefused(_("You cannot vote on your own comment."))
    if comment.status != Comment.Status.PUBLISHED:
        raise CommentRefused(_("That comment can no longer be voted on."))
    with write_transaction():
        vote = (
            Vote.objects.select_for_update().filter(comment=comment, user=user).first()
        )
        old = vote.value if vote else 0
        if old == value:
            return comment
        if value == 0:
            vote.delete()
        elif vote is None:
            Vote.objects.create(comment=comment, user=user, value=value)
        else:
            vote.value = value
            vote.save(update_fields=["value", "created_at"])
        up = (value == 1) - (old == 1)
        down = (value == -1) - (old == -1)
        Comment.objects.filter(pk=comment.pk).update(
            score=F("score") + (value - old),
            upvotes=F("upvotes") + up,
            downvotes=F("downvotes") + down,
        )
        if comment.author_id is not None:
            User.objects.filter(pk=comment.author_id).update(
                reputation=F("reputation") + (value - old)
            )
        bump_thread(comment.article_id)
    comment.refresh_from_db(fields=["score", "upvotes", "downvotes"])
    return comment
