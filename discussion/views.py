from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from discussion import actions
from discussion.actions import CommentRefused
from discussion.forms import CommentForm, EditForm, VoteForm
from discussion.models import Comment, Vote
from discussion.render import ANONYMOUS, Viewer, render_single, vote_widget
from discussion.thread import Row, page_of
from lib.http import client_ip
from lib.prepared import PreparedQuery
from moderation import policy
from newsroom.models import Article

# Every comment action starts here: compiled once (lib.prepared).
_ARTICLE_BY_SLUG = PreparedQuery(
    lambda slug: Article.objects.filter(slug=slug).order_by(),
    slug="prepared:article-slug",
)


def _get_article(slug) -> Article:
    """The edition at `slug`; its thread is on `.discussion_article` (one
    query, and one more for the original of a translation)."""
    article = _ARTICLE_BY_SLUG.first(slug=slug)
    if article is None or not article.is_visible:
        raise Http404("No such article")
    return article


def _get_comment(article, number) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("author", "article"),
        article=article,
        number=number,
    )


def _get_comment_for_author(request, pk) -> Comment:
    """The comment `pk`, if the signed-in reader wrote it; 404 or 403 otherwise."""
    comment = get_object_or_404(
        Comment.objects.select_related("article", "author", "parent"), pk=pk
    )
    if not comment.article.is_visible:
        raise Http404("No such comment")
    if comment.author_id != request.user.pk:
        raise PermissionDenied(_("You can only change your own comments."))
    return comment


def _comment_url(comment: Comment) -> str:
    return f"{comment.article.get_absolute_url()}#c{comment.number}"


def _signin_url(next_url: str) -> str:
    return f"{reverse('accounts-signin')}?{urlencode({'next': next_url})}"


@require_POST
def post(request, slug):
    """Post a comment or a reply; on any refusal the reader's text comes back.

    From a translation the comment goes to the original's thread, which both
    editions show, and the reader comes back to the edition they read.
    """
    article = _get_article(slug)
    thread = article.discussion_article
    form = CommentForm(request.POST)
    draft_key = f"draft:{article.pk}"
    if not request.user.is_authenticated:
        # An expired session must not cost the reader their text: keep it as
        # a draft that the form shows again after signing in.
        request.session[draft_key] = request.POST.get("body", "")[:50000]
        messages.info(request, _("Sign in to post your comment; your text is kept."))
        return redirect(_signin_url(article.get_absolute_url() + "#comment-form"))

    error = None
    # Looked up before validation so a refused reply still shows its parent.
    number = request.POST.get("parent", "").strip()
    parent = None
    if number and len(number) <= 255:
        parent = Comment.objects.filter(article=thread, number=number).first()
    if form.is_valid():
        if number and parent is None:
            error = _("The comment you replied to does not exist.")
        if error is None:
            try:
                comment = actions.post_comment(
                    article=thread,
                    edition=article if thread is not article else None,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    parent=parent,
                    client_token=form.cleaned_data["client_token"],
                    ip_address=client_ip(request) or None,
                )
            except CommentRefused as refused:
                error = refused.message
            else:
                request.session.pop(draft_key, None)
                return redirect(f"{article.get_absolute_url()}#c{comment.number}")
    if error:
        form.add_error(None, error)
    if parent is not None:
        return _render_reply(request, article, parent, form, status=400)
    from newsroom.views import render_article

    return render_article(request, _full_article(article), form=form, status=400)


def _full_article(article):
    from newsroom.views import _article_queryset

    return _article_queryset().get(pk=article.pk)


@require_GET
def comment(request, slug, number):
    """The permalink of a comment number: its place in the thread.

    Works from every edition of the article: they share the thread.
    """
    article = _get_article(slug)
    thread = article.discussion_article
    comment = _get_comment(thread, number)
    page = page_of(thread.pk, comment.number, settings.TRIBUNE_THREAD_PAGE_SIZE)
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{article.get_absolute_url()}{query}#c{comment.number}")


@login_required
@require_GET
def reply(request, slug, number):
    """The reply form under a comment; ?quote=1 pre-fills it with the comment."""
    article = _get_article(slug)
    parent = _get_comment(article.discussion_article, number)
    initial = {"parent": parent.number, "client_token": actions.new_client_token()}
    if request.GET.get("quote") and parent.status == Comment.Status.PUBLISHED:
        from lib.markdown import plain_paragraphs, quote_markdown

        initial["body"] = (
            quote_markdown("\n\n".join(plain_paragraphs(parent.body))) + "\n\n"
        )
    form = CommentForm(initial=initial, auto_id=_reply_ids(parent))
    return _render_reply(request, article, parent, form)


def _reply_ids(parent: Comment) -> str:
    # Several inline reply forms can be open on one page; ids must differ.
    return f"id_reply{parent.pk}_%s"


def _render_reply(request, article, parent, form, status=200):
    template = "discussion/reply_form.html" if request.htmx else "discussion/reply.html"
    shown_as = (
        {
            Comment.Status.PUBLISHED: "full",
            Comment.Status.REMOVED: "removed",
            Comment.Status.DELETED: "deleted",
        }.get(parent.status, "held")
        if parent is not None
        else None
    )
    parent_html = ""
    if parent is not None:
        # The parent as context, without controls: the form below is the action.
        parent_html = render_single(
            Row.from_comment(parent), shown_as, ANONYMOUS, article.slug
        )
    context = {
        "article": article,
        "parent": parent,
        # Built by discussion.render from sanitized HTML and escaped text.
        "parent_html": mark_safe(parent_html),
        "comment_form": form,
    }
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    comment = _get_comment_for_author(request, pk)
    if request.method == "POST":
        form = EditForm(request.POST)
        if form.is_valid():
            try:
                actions.edit_comment(
                    comment=comment, editor=request.user, body=form.cleaned_data["body"]
                )
            except CommentRefused as refused:
                form.add_error(None, refused.message)
            else:
                return redirect(_comment_url(comment))
        status = 400
    else:
        if not actions.can_edit(request.user, comment):
            messages.error(request, _("This comment can no longer be edited."))
            return redirect(_comment_url(comment))
        form = EditForm(initial={"body": comment.body})
        status = 200
    return render(
        request,
        "discussion/edit.html",
        {"comment": comment, "form": form, "article": comment.article},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    comment = _get_comment_for_author(request, pk)
    if request.method == "POST":
        try:
            actions.delete_comment(comment=comment, user=request.user)
        except CommentRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Comment %(number)s deleted.") % {"number": comment.number}
            )
        # The comment may be gone from the page; land on the discussion.
        return redirect(f"{comment.article.get_absolute_url()}#comments")
    return render(
        request,
        "discussion/delete.html",
        {"comment": comment, "article": comment.article},
    )


@require_POST
def vote(request, pk):
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    if not comment.article.is_visible:
        raise Http404("No such comment")
    if not request.user.is_authenticated:
        return redirect(_signin_url(_comment_url(comment)))
    form = VoteForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("A vote is +1, −1, or withdrawn.")
    else:
        try:
            comment = actions.cast_vote(
                comment=comment, user=request.user, value=form.cleaned_data["value"]
            )
        except CommentRefused as refused:
            error = refused.message
    if request.htmx:
        mine = (
            Vote.objects.filter(comment=comment, user=request.user)
            .values_list("value", flat=True)
            .first()
        )
        viewer = Viewer(
            user_id=request.user.pk,
            can_write=error is None or not policy.account_refusal(request.user),
            csrf_token=get_token(request),
            my_votes={comment.pk: mine or 0},
        )
        # htmx swaps only 2xx answers; a refusal is in the fragment.
        return HttpResponse(
            vote_widget(
                comment.pk,
                comment.number,
                comment.author_id,
                comment.score,
                viewer,
                error=error or "",
            )
        )
    if error:
        messages.error(request, error)
    return redirect(_comment_url(comment))
