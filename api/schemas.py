"""The shapes the API reads and answers, as its OpenAPI schema shows them."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from moderation.models import Report

# The reasons a reader may give; suspect words are reported by the site itself.
READER_REASONS = tuple(
    value for value in Report.Reason.values if value != Report.Reason.SUSPECT_WORDS
)
ReportReason = Literal[READER_REASONS]  # type: ignore[valid-type]


class Error(Schema):
    detail: str = Field(description="What went wrong, in words a reader understands.")
    errors: dict[str, list[str]] | None = Field(
        None, description="For 400: messages by field name."
    )


class SectionOut(Schema):
    name: str
    slug: str


class TagOut(Schema):
    name: str
    slug: str


class BylineOut(Schema):
    name: str
    slug: str
    role: str = Field(description='How the byline reads, e.g. "Observed by".')


class SourceOut(Schema):
    title: str
    url: str


class ArticleSummary(Schema):
    slug: str
    title: str
    lead: str
    url: str
    section: SectionOut
    authors: list[BylineOut]
    tags: list[TagOut]
    language: str
    published_at: datetime
    comment_count: int
    comments_open: bool


class ArticleOut(ArticleSummary):
    body_html: str = Field(description="Sanitized HTML; paragraphs carry ids p-1 …")
    updated_at: datetime
    sources: list[SourceOut]


class ArticlePage(Schema):
    items: list[ArticleSummary]
    count: int
    page: int
    pages: int
    per_page: int


class AuthorOut(Schema):
    name: str
    rank: str
    reputation: int


class QuoteOut(Schema):
    source: Literal["article", "parent"]
    text: str = Field(description="The quote as the comment gives it.")
    passage: str = Field(description="The passage of the source it matches.")
    paragraph: int | None = Field(
        None, description="For article quotes: the paragraph (p-N) quoted."
    )
    comment_number: str | None = Field(
        None, description="For quotes of the parent: the parent's number."
    )


class CommentNode(Schema):
    id: int
    number: str = Field(description='The comment\'s number for ever, e.g. "7.1".')
    depth: int
    status: Literal["published", "placeholder"]
    placeholder: Literal["deleted", "removed", "held"] | None = Field(
        None, description="Why a placeholder holds this number's place."
    )
    author: AuthorOut | None = Field(
        None, description="None for placeholders and deleted accounts."
    )
    created_at: datetime | None
    edited_at: datetime | None
    body_html: str | None = Field(description="Sanitized HTML; none for placeholders.")
    emoticons: list[str]
    score: int | None
    collapsed: bool = Field(description="Rated low enough to fold away on the site.")
    quotes: list[QuoteOut]
    replies: list["CommentNode"]


CommentNode.model_rebuild()


class ThreadOut(Schema):
    article: str
    sort: Literal["thread", "best", "newest"]
    page: int = Field(description="The part of the thread, by top-level comments.")
    pages: int
    count: int = Field(description="Comments shown in full in this part.")
    total: int = Field(description="Comments shown in full in the whole thread.")
    comments: list[CommentNode]


class CommentIn(Schema):
    body: str = Field(description="Markdown; quote with > lines.", max_length=100_000)
    parent: str | None = Field(
        None,
        description='The number of the comment replied to, e.g. "7".',
        pattern=r"^[0-9]{1,9}(\.[0-9]{1,9}){0,30}$",
    )
    client_token: str = Field(
        "",
        max_length=64,
        description="Any unique string: posting again with it returns the first "
        "comment instead of a second one.",
    )


class EditIn(Schema):
    body: str = Field(max_length=100_000)


class CommentOut(Schema):
    """A comment as its author sees it."""

    id: int
    article: str
    number: str
    status: Literal["published", "pending", "deleted", "removed"] = Field(
        description="pending: waiting for a moderator before others see it."
    )
    body: str = Field(description="The Markdown as written.")
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    score: int
    quotes: list[QuoteOut]


class VoteIn(Schema):
    value: Literal[1, -1, 0] = Field(description="+1, −1, or 0 to withdraw.")


class VoteOut(Schema):
    id: int
    score: int
    upvotes: int
    downvotes: int
    my_vote: Literal[1, -1, 0]


class ReportIn(Schema):
    reason: ReportReason
    detail: str = Field("", max_length=1000, description="Required for other.")


class ReportOut(Schema):
    id: int
    comment: int
    reason: str
    status: str


class MeOut(Schema):
    username: str
    rank: str
    reputation: int
    moderator: bool
    can_write: bool
    refusal: str | None = Field(
        None, description="Why the reader may not write now (ban, suspension)."
    )
