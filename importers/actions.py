"""Write parsed pages into the database, all or nothing."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from discussion.actions import FoundQuote, render_body, save_quotes
from discussion.models import Comment, path_segment
from importers.reference_page import ParsedComment, ParsedPage
from lib.markdown import escape_markdown, quote_markdown
from newsroom.models import Article, Author, Byline, Section
from newsroom.pagecache import bump_thread


@dataclass
class ImportResult:
    article: Article
    created: bool
    comments_added: int
    accounts_created: int


def page_source_key(page: ParsedPage) -> str:
    """Identify a page across imports by its site and title."""
    return f"page:{page.site.strip().casefold()}:{page.title.strip().casefold()}"[:300]


def _unique_slug(model, base: str, field: str = "slug", max_length: int = 200) -> str:
    base = (slugify(base, allow_unicode=True) or "item")[: max_length - 8]
    slug, n = base, 1
    while model.objects.filter(**{field: slug}).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _body_markdown(comment: ParsedComment) -> str:
    quoted = {quote.position for quote in comment.quotes}
    blocks = []
    for index, paragraph in enumerate(comment.paragraphs):
        text = escape_markdown(paragraph)
        blocks.append(quote_markdown(text) if index in quoted else text)
    return "\n\n".join(blocks)


def _plain_quote(markdown: str) -> str:
    """The text a blockquote of `markdown` renders to (escapes undone)."""
    from lib.markdown import comment_quotes

    found = comment_quotes(markdown)
    return found[0] if found else ""


@transaction.atomic
def import_page(
    page: ParsedPage,
    *,
    section_name: str = "News",
    language: str = "en",
    published_at: datetime | None = None,
) -> ImportResult:
    """Create the article of a parsed page with its comments and authors.

    Importing a page again adds only comments whose numbers are new, so the
    same file changes nothing. Runs in one transaction: on any error nothing
    is written.
    """
    key = page_source_key(page)
    article = Article.objects.select_for_update().filter(source_key=key).first()
    created = article is None
    if created:
        section = Section.objects.filter(name__iexact=section_name).first()
        if section is None:
            section = Section.objects.create(
                name=section_name,
                slug=_unique_slug(Section, section_name, max_length=100),
            )
        if published_at is None and page.comments:
            # The page carries no date; the article was out before its first comment.
            published_at = min(c.created_at for c in page.comments)
        article = Article.objects.create(
            title=page.title,
            slug=_unique_slug(Article, page.title),
            body="\n\n".join(escape_markdown(p) for p in page.body),
            section=section,
            language=language,
            # Without a date (no comments, no --published) nothing says when
            # it came out: a draft for an editor to date, as the WXR importer
            # makes of an undated item.
            status=Article.Status.PUBLISHED
            if published_at is not None
            else Article.Status.DRAFT,
            published_at=published_at,
            source_key=key,
        )
        if published_at is not None:
            # An archived article was last updated when it was published, not now.
            Article.objects.filter(pk=article.pk).update(updated_at=published_at)
            article.updated_at = published_at
        for position, name in enumerate(page.authors):
            author = Author.objects.filter(name=name).first() or Author.objects.create(
                name=name, slug=_unique_slug(Author, name)
            )
            Byline.objects.create(
                article=article, author=author, position=position, role=page.byline_role
            )

    existing = dict(Comment.objects.filter(article=article).values_list("number", "id"))
    users, accounts_created = _accounts_for(page)
    added = 0
    by_number: dict[str, Comment] = {}
    for parsed in page.comments:
        if parsed.number in existing:
            continue
        parent = None
        if parsed.parent is not None:
            parent = by_number.get(parsed.parent) or Comment.objects.get(
                article=article, number=parsed.parent
            )
        body = _body_markdown(parsed)
        found = [
            FoundQuote(
                text=_plain_quote(quote_markdown(escape_markdown(q.text))),
                source=q.source,
                passage=q.passage,
                paragraph=q.paragraph,
            )
            for q in parsed.quotes
        ]
        comment = Comment.objects.create(
            article=article,
            parent=parent,
            author=users[parsed.author.casefold()],
            number=parsed.number,
            path=".".join(path_segment(int(n)) for n in parsed.number.split(".")),
            depth=parsed.number.count("."),
            body=body,
            body_html=render_body(body, found, parent),
            emoticons=list(parsed.emoticons),
            created_at=parsed.created_at,
        )
        save_quotes(comment, found)
        by_number[parsed.number] = comment
        added += 1

    if added:
        _sync_counters(article)
        bump_thread(article.pk, comment_delta=added)
        article.refresh_from_db()
    return ImportResult(article, created, added, accounts_created)


def _accounts_for(page: ParsedPage):
    """Find or create an unclaimed account for every comment author."""
    User = get_user_model()
    users = {}
    created = 0
    for name in dict.fromkeys(c.author for c in page.comments):
        user = User.objects.find(name)
        if user is None:
            user = User(username=name[:40], is_claimed=False)
            user.set_unusable_password()
            user.save()
            created += 1
        users[name.casefold()] = user
    return users, created


def _sync_counters(article: Article) -> None:
    """Make the numbering counters cover every imported number.

    Runs one query per comment that has replies.
    """
    top = [
        int(n)
        for n in Comment.objects.filter(article=article, depth=0).values_list(
            "number", flat=True
        )
    ]
    Article.objects.filter(pk=article.pk).update(comment_counter=max(top, default=0))
    parents = (
        Comment.objects.filter(article=article, parent__isnull=False)
        .values("parent_id")
        .annotate(last=Max("path"))
    )
    for row in parents:
        last_position = int(row["last"].rsplit(".", 1)[-1])
        Comment.objects.filter(pk=row["parent_id"]).update(reply_counter=last_position)
