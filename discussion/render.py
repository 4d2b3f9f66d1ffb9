"""HTML of a thread, built in Python for speed.

A thread of thousands of comments rendered through Django templates costs
about a millisecond per comment; this module costs a few microseconds. The
markup is the one source for a comment's HTML (thread pages, reply pages,
the vote widget).

Rendering is split so a thread can be cached once for everyone: `render_thread`
returns the shared HTML as segments, and the per-reader controls (vote
buttons, reply, edit, delete, report) are joined in between by
`join_with_actions`, a small overlay instead of a re-render.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_ALT
from django.utils.translation import gettext, ngettext, pgettext

from accounts.ranks import rank_for
from discussion.emoticons import EMOTICONS
from discussion.thread import Thread

_SENTINEL = 987654321


def _url_pattern(name: str, *args) -> str:
    """reverse() once, leaving a {} where the comment id goes.

    Remembered per URL configuration and script prefix: reverse() costs
    about as much as a query, and every signed-in page needs four of these.
    """
    return _reversed_pattern(name, args, get_urlconf(), get_script_prefix())


@lru_cache(maxsize=256)
def _reversed_pattern(name: str, args: tuple, urlconf, prefix: str) -> str:
    url = reverse(name, urlconf=urlconf, args=[*args, _SENTINEL])
    return url.replace(str(_SENTINEL), "{}")


@dataclass
class Viewer:
    """What a reader may do on this page, for the controls beside each comment."""

    user_id: int | None = None
    can_write: bool = False
    csrf_token: str = ""
    my_votes: dict[int, int] = field(default_factory=dict)
    editable: set[int] = field(default_factory=set)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Viewer()


@dataclass
class RenderedThread:
    """The shared HTML, split where each comment's controls go."""

    segments: list[str]
    # For each gap between segments: (comment id, number, author id, score, shown_as).
    slots: list[tuple[int, str, int | None, int, str]]


class _Formatter:
    """Per-render caches: month names, words, profile URLs, time zone.

    Words come in the active language, looked up once per render; cached
    renderings key on the language.
    """

    def __init__(self):
        # The form a month takes in a date: "25 May", "25 мая".
        self.months = {number: str(name) for number, name in MONTHS_ALT.items()}
        self.link_to = gettext("Link to comment %(number)s")
        self.reputation = gettext("Reputation %(points)s")
        self.deleted_account = gettext("deleted account")
        self.edited = gettext("edited")
        self.edited_at = gettext("Edited %(when)s")
        self.awaiting_review = gettext("awaiting review")
        self.hidden = gettext("Hidden: rated %(score)s. Show")
        self.comment_label = gettext("Comment %(number)s")
        self.placeholders = {
            "deleted": gettext("Comment deleted by its author."),
            "removed": gettext("Comment removed by a moderator."),
            "held": gettext("Comment awaiting review."),
        }
        self.profiles: dict[str, str] = {}
        self.profile_pattern = reverse("accounts-profile", args=["__user__"])
        self.zone = timezone.get_current_timezone()
        self.ranks: dict[int, str] = {}
        self.authors: dict[tuple[str, int], str] = {}
        self.no_author = (
            f'<span class="author deleted-user">{escape(self.deleted_account)}</span>'
        )

    def rank(self, reputation: int) -> str:
        name = self.ranks.get(reputation)
        if name is None:
            name = self.ranks[reputation] = rank_for(reputation)
        return name

    def author(self, username: str, reputation: int) -> str:
        """The author's link and rank, built once per (name, reputation)."""
        key = (username, reputation)
        html = self.authors.get(key)
        if html is None:
            html = self.authors[key] = (
                f'<a class="author" href="{self.profile(username)}">'
                f"{escape(username)}</a>"
                f'<span class="rank" title="'
                f'{escape(self.reputation % {"points": reputation})}">'
                f"{escape(self.rank(reputation))}</span>"
            )
        return html

    def when(self, moment) -> tuple[str, str]:
        local = moment.astimezone(self.zone)
        text = (
            f"{local.day} {self.months[local.month]} {local.year} "
            f"{local.hour:02d}:{local.minute:02d}"
        )
        return local.isoformat(), text

    def profile(self, username: str) -> str:
        url = self.profiles.get(username)
        if url is None:
            url = self.profile_pattern.replace(
                "__user__", quote(username, safe="!$&'()*+,;=~:@")
            )
            self.profiles[username] = url
        return url


def _header(row, shown_as: str, fmt: _Formatter) -> str:
    number = row.number
    parts = [
        f'<header class="comment-header"><a class="number" href="#c{number}" '
        f'title="{escape(fmt.link_to % {"number": number})}">{number}</a>'
    ]
    if shown_as in ("full", "pending"):
        if row.author_id is not None:
            parts.append(fmt.author(row.username, row.reputation))
        else:
            parts.append(fmt.no_author)
        iso, text = fmt.when(row.created_at)
        parts.append(f'<time datetime="{iso}">{text}</time>')
        if row.edited_at is not None:
            title = fmt.edited_at % {"when": fmt.when(row.edited_at)[1]}
            parts.append(
                f'<span class="edited" title="{escape(title)}">'
                f"{escape(fmt.edited)}</span>"
            )
        if shown_as == "pending":
            parts.append(f'<span class="badge">{escape(fmt.awaiting_review)}</span>')
    parts.append("</header>")
    return "".join(parts)


_PLACEHOLDERS = ("deleted", "removed", "held")


def _body(row, collapsed: bool, fmt: _Formatter) -> str:
    emoticons = ""
    if row.emoticons:
        emoticons = (
            '<span class="emoticons">'
            + "".join(
                f'<span role="img" aria-label="{escape(word)}" title="{escape(word)}">'
                f"{EMOTICONS.get(word, '💬')}</span>"
                for word in row.emoticons
            )
            + "</span>"
        )
    # body_html comes from lib.markdown.render_comment: sanitized by nh3.
    body = f'<div class="comment-body">{emoticons}{row.body_html}</div>'
    if collapsed:
        body = (
            '<details class="collapsed"><summary>'
            f"{escape(fmt.hidden % {'score': row.score})}"
            f"</summary>{body}</details>"
        )
    return body


def comment_parts(
    row, shown_as: str, collapsed: bool, fmt: _Formatter
) -> tuple[str, str]:
    """The comment's <article> before and after its controls."""
    start = (
        f'<article class="comment comment-{shown_as}" '
        f'aria-label="{escape(fmt.comment_label % {"number": row.number})}">'
        + _header(row, shown_as, fmt)
    )
    if shown_as in _PLACEHOLDERS:
        text = escape(fmt.placeholders[shown_as])
        return (start + f'<p class="placeholder">{text}</p>', "</article>")
    return (
        start + _body(row, collapsed, fmt) + '<footer class="comment-actions">',
        f'</footer><div id="replyslot-{row.pk}" class="reply-slot"></div></article>',
    )


def render_thread(thread: Thread) -> RenderedThread:
    """The shared HTML of a thread page (the <ol> of comments), in segments."""
    fmt = _Formatter()
    segments: list[str] = []
    slots = []
    current = ['<ol class="comments">']
    for index, node in enumerate(thread.nodes):
        row = node.comment
        if node.opens:
            current.append('<ol class="replies">')
        elif index:
            current.append("</li>" + "</ol></li>" * len(node.closes))
        current.append(f'<li id="c{row.number}" class="comment-item">')
        before, after = comment_parts(row, node.shown_as, node.collapsed, fmt)
        current.append(before)
        if after == "</article>":
            current.append(after)
            continue
        segments.append("".join(current))
        slots.append((row.pk, row.number, row.author_id, row.score, node.shown_as))
        current = [after]
    if thread.nodes:
        current.append("</li>" + "</ol></li>" * len(thread.final_closes))
    current.append("</ol>")
    segments.append("".join(current))
    return RenderedThread(segments=segments, slots=slots)


class _Links:
    """Control URLs and their words, once per page."""

    def __init__(self, article_slug: str):
        self.vote = _url_pattern("discussion-vote")
        self.edit = _url_pattern("discussion-edit")
        self.delete = _url_pattern("discussion-delete")
        self.report = _url_pattern("moderation-report")
        self.reply = _url_pattern("discussion-reply", article_slug)[: -len("{}/reply/")]
        self.vote_words = _VoteWords()
        self.words = {
            word: escape(text)
            for word, text in (
                ("reply", gettext("Reply")),
                ("quote", pgettext("verb", "Quote")),
                ("edit", gettext("Edit")),
                ("delete", gettext("Delete")),
                ("report", gettext("Report")),
            )
        }


class _VoteWords:
    """The vote widget's words in the active language, looked up once per page."""

    def __init__(self):
        self.withdraw_up = (gettext("Withdraw your +1"), gettext("Withdraw +1"))
        self.withdraw_down = (gettext("Withdraw your −1"), gettext("Withdraw −1"))
        self.vote_up = gettext("Vote +1")
        self.vote_down = gettext("Vote −1")
        self.on_comment = gettext("on comment %(number)s")
        self._points: dict[int, str] = {}

    def points(self, score: int) -> str:
        """The score's title, "3 points", escaped; once per distinct score."""
        title = self._points.get(score)
        if title is None:
            title = self._points[score] = escape(
                ngettext("%(score)s point", "%(score)s points", abs(score))
                % {"score": score}
            )
        return title


def vote_widget(
    pk: int,
    number: str,
    author_id: int | None,
    score: int,
    viewer: Viewer,
    *,
    vote_url: str = "",
    error: str = "",
    words: _VoteWords | None = None,
) -> str:
    """The score and, for a reader who may vote, the +1/−1 buttons.

    `words` carries the translated words across the comments of one page.
    """
    words = words or _VoteWords()
    shown = f"+{score}" if score > 0 else str(score)
    parts = [
        f'<div class="vote" id="vote-{pk}"><span class="score" '
        f'title="{words.points(score)}">{shown}</span>'
    ]
    if viewer.authenticated and viewer.can_write and author_id != viewer.user_id:
        url = vote_url or reverse("discussion-vote", args=[pk])
        mine = viewer.my_votes.get(pk, 0)
        up = (
            ("0", "true", *words.withdraw_up)
            if mine == 1
            else ("1", "false", "+1", words.vote_up)
        )
        down = (
            ("0", "true", *words.withdraw_down)
            if mine == -1
            else ("-1", "false", "−1", words.vote_down)
        )
        on_comment = words.on_comment % {"number": number}
        parts.append(
            f'<form method="post" action="{url}" hx-post="{url}" '
            f'hx-target="#vote-{pk}" hx-swap="outerHTML" class="inline-form">'
            '<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{viewer.csrf_token}">'
        )
        for arrow, (value, pressed, title, label) in (("▲", up), ("▼", down)):
            parts.append(
                f'<button type="submit" name="value" value="{value}" '
                f'aria-pressed="{pressed}" title="{title}">{arrow} '
                f'<span class="visually-hidden">{label} {on_comment}</span>'
                "</button>"
            )
        parts.append("</form>")
    if error:
        parts.append(f'<span class="error" role="alert">{escape(error)}</span>')
    parts.append("</div>")
    return "".join(parts)


def _actions(slot, viewer: Viewer, links: _Links) -> str:
    pk, number, author_id, score, shown_as = slot
    parts = [
        vote_widget(
            pk,
            number,
            author_id,
            score,
            viewer,
            vote_url=links.vote.format(pk),
            words=links.vote_words,
        )
    ]
    if not viewer.authenticated:
        return parts[0]
    words = links.words
    if viewer.can_write and shown_as == "full":
        reply = f"{links.reply}{number}/reply/"
        parts.append(
            f'<a href="{reply}#reply-form" hx-get="{reply}" '
            f'hx-target="#replyslot-{pk}" hx-swap="innerHTML">{words["reply"]}</a>'
            f'<a href="{reply}?quote=1#reply-form" hx-get="{reply}?quote=1" '
            f'hx-target="#replyslot-{pk}" hx-swap="innerHTML">{words["quote"]}</a>'
        )
    if pk in viewer.editable:
        parts.append(f'<a href="{links.edit.format(pk)}">{words["edit"]}</a>')
    if author_id == viewer.user_id:
        parts.append(f'<a href="{links.delete.format(pk)}">{words["delete"]}</a>')
    elif viewer.can_write and shown_as == "full":
        parts.append(
            f'<a href="{links.report.format(pk)}" rel="nofollow">{words["report"]}</a>'
        )
    return "".join(parts)


def join_with_actions(
    rendered: RenderedThread, viewer: Viewer, article_slug: str
) -> str:
    """The thread's HTML with each comment's controls for this viewer."""
    links = _Links(article_slug)
    out = []
    for segment, slot in zip(rendered.segments, rendered.slots, strict=False):
        out.append(segment)
        out.append(_actions(slot, viewer, links))
    out.append(rendered.segments[-1])
    return "".join(out)


def render_single(row, shown_as: str, viewer: Viewer, article_slug: str) -> str:
    """One comment with its controls (reply pages, context views)."""
    fmt = _Formatter()
    before, after = comment_parts(row, shown_as, False, fmt)
    if after == "</article>":
        return before + after
    slot = (row.pk, row.number, row.author_id, row.score, shown_as)
    return before + _actions(slot, viewer, _Links(article_slug)) + after
