from discussion.actions import can_edit, new_client_token
from discussion.forms import CommentForm
from discussion.models import Vote
from discussion.thread import Sort, build_thread, thread_queryset
from lib.markdown import quote_markdown
from moderation import policy


def discussion_context(request, article, *, form=None, error=None):
    """Return the template context for an article's discussion.

    Runs one query for the comments and, for a signed-in reader, one for their
    votes on this article, whatever the number of comments.
    """
    user = request.user
    sort = Sort.clean(request.GET.get("sort"))
    moderator = user.is_authenticated and user.has_perm("discussion.moderate_comment")
    comments = list(thread_queryset(article.pk))
    thread = build_thread(
        comments,
        sort=sort,
        viewer_id=user.pk if user.is_authenticated else None,
        moderator=moderator,
    )
    my_votes = {}
    editable = set()
    if user.is_authenticated:
        my_votes = dict(
            Vote.objects.filter(user=user, comment__article=article).values_list(
                "comment_id", "value"
            )
        )
        editable = {c.pk for c in comments if can_edit(user, c)}
    if form is None:
        initial = {"client_token": new_client_token()}
        passage = _passage_to_quote(request, article)
        if passage:
            initial["body"] = quote_markdown(passage) + "\n\n"
        draft = (
            request.session.get(f"draft:{article.pk}")
            if user.is_authenticated
            else None
        )
        if draft and not passage:
            initial["body"] = draft
        form = CommentForm(initial=initial)
    write_refusal = policy.account_refusal(user) if user.is_authenticated else None
    return {
        "write_refusal": write_refusal,
        "thread": thread,
        "sort": sort,
        "sort_choices": Sort.CHOICES,
        "my_votes": my_votes,
        "editable": editable,
        "comment_form": form,
        "comment_error": error,
        "is_moderator": moderator,
    }


def _passage_to_quote(request, article) -> str:
    """The article paragraph named by ?quote=p-N, to pre-fill the comment form."""
    from lib.markdown import article_paragraphs

    wanted = request.GET.get("quote", "")
    if not wanted.startswith("p-") or not wanted[2:].isdigit():
        return ""
    paragraphs = article_paragraphs(article.body)
    index = int(wanted[2:]) - 1
    return paragraphs[index] if 0 <= index < len(paragraphs) else ""
