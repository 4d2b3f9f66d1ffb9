from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from discussion.models import MODERATE_PERMISSION, Comment
from lib.http import safe_next
from moderation import actions
from moderation.actions import ModerationRefused
from moderation.forms import ReaderActionForm, RemoveForm, ReportForm, SiteModeForm
from moderation.models import AuditEntry, Report, SiteMode
from newsroom.models import Article

MODERATE = MODERATE_PERMISSION
moderator_required = permission_required(MODERATE, raise_exception=True)

QUEUES = {
    "reported": gettext_lazy("Reported"),
    "pending": gettext_lazy("Pending review"),
    "removed": gettext_lazy("Recently removed"),
    "approved": gettext_lazy("Approved"),
}


def _open_reports():
    return Prefetch(
        "reports",
        queryset=Report.objects.filter(status=Report.Status.OPEN).select_related(
            "reporter"
        ),
        to_attr="open_reports",
    )


def _queue_queryset(name: str):
    comments = Comment.objects.select_related(
        "author", "article", "parent", "parent__author"
    ).prefetch_related(_open_reports())
    if name == "reported":
        return (
            comments.filter(reports__status=Report.Status.OPEN)
            .annotate(open_count=Count("reports", filter=Q(reports__status="open")))
            .order_by("-open_count", "created_at", "id")
            .distinct()
        )
    if name == "pending":
        return comments.filter(status=Comment.Status.PENDING).order_by(
            "created_at", "id"
        )
    if name == "removed":
        return comments.filter(status=Comment.Status.REMOVED).order_by(
            "-created_at", "-id"
        )
    return comments.filter(status=Comment.Status.PUBLISHED).order_by(
        "-created_at", "-id"
    )


@login_required
@moderator_required
def queue(request, name="reported"):
    """A moderation queue; filters ?article=<id> and ?reader=<username>."""
    if name not in QUEUES:
        raise Http404("No such queue")
    comments = _queue_queryset(name)
    article = reader = None
    if request.GET.get("article", "").isdigit():
        article = Article.objects.filter(pk=request.GET["article"]).first()
        comments = comments.filter(article=article)
    if request.GET.get("reader"):
        reader = User.objects.find(request.GET["reader"])
        comments = comments.filter(author=reader)
    page = Paginator(comments, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/queue.html",
        {
            "queue": name,
            "queues": QUEUES,
            "page": page,
            "filter_article": article,
            "filter_reader": reader,
            "remove_form": RemoveForm(),
            "here": request.get_full_path(),
        },
    )


def _back(request, fallback="moderation-queue"):
    return redirect(safe_next(request, reverse(fallback)))


@require_POST
@login_required
@moderator_required
def decide(request, pk, decision):
    """approve / remove / restore one comment."""
    comment = get_object_or_404(Comment.objects.select_related("author"), pk=pk)
    try:
        if decision == "approve":
            actions.approve_comment(actor=request.user, comment=comment)
        elif decision == "restore":
            actions.restore_comment(actor=request.user, comment=comment)
        elif decision == "remove":
            form = RemoveForm(request.POST)
            form.is_valid()
            actions.remove_comment(
                actor=request.user, comment=comment, reason=form.reason()
            )
        else:
            raise Http404("No such decision")
    except ModerationRefused as refused:
        messages.error(
            request,
            _("Comment %(number)s: %(message)s")
            % {"number": comment.number, "message": refused.message},
        )
    else:
        done = {
            "approve": _("Comment %(number)s: approved."),
            "remove": _("Comment %(number)s: removed."),
            "restore": _("Comment %(number)s: restored."),
        }[decision]
        messages.success(request, done % {"number": comment.number})
    return _back(request)


@require_POST
@login_required
@moderator_required
def bulk(request):
    ids = [int(i) for i in request.POST.getlist("comment") if i.isdigit()]
    comments = list(Comment.objects.filter(pk__in=ids).select_related("author"))
    form = RemoveForm(request.POST)
    form.is_valid()
    try:
        done, refused = actions.bulk(
            actor=request.user,
            action=request.POST.get("action", ""),
            comments=comments,
            reason=form.reason(),
        )
    except ModerationRefused as e:
        messages.error(request, e.message)
    else:
        if not comments:
            messages.error(request, _("Select at least one comment."))
        else:
            messages.success(
                request,
                ngettext("%(count)s comment done.", "%(count)s comments done.", done)
                % {"count": done},
            )
        for line in refused:
            messages.error(request, line)
    return _back(request)


@login_required
@moderator_required
def reader(request, pk):
    """A reader's standing, history and recent comments, with the actions on them."""
    person = get_object_or_404(User, pk=pk)
    history = AuditEntry.objects.filter(reader=person).select_related(
        "actor", "comment"
    )[:50]
    comments = (
        Comment.objects.filter(author=person)
        .select_related("article")
        .order_by("-created_at", "-id")[:30]
    )
    counts = dict(
        Comment.objects.filter(author=person)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    from moderation.policy import TRUST_LEVELS, trust_level

    return render(
        request,
        "moderation/reader.html",
        {
            "person": person,
            "history": history,
            "comments": comments,
            "counts": counts,
            "trust": _(TRUST_LEVELS[trust_level(person)]),
            "reports_against": Report.objects.filter(comment__author=person).count(),
            "form": ReaderActionForm(),
            "now": timezone.now(),
        },
    )


READER_ACTIONS = {"note", "warn", "suspend", "ban", "lift", "premoderate", "trust"}


@require_POST
@login_required
@moderator_required
def reader_action(request, pk, action):
    person = get_object_or_404(User, pk=pk)
    if action not in READER_ACTIONS:
        raise Http404("No such action")
    form = ReaderActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: ") + form.errors.as_text())
        return redirect("moderation-reader", pk=pk)
    text = form.cleaned_data["text"] or ""
    try:
        if action == "note":
            actions.note_reader(actor=request.user, reader=person, text=text)
        elif action == "warn":
            actions.warn_reader(actor=request.user, reader=person, text=text)
        elif action == "suspend":
            until = form.cleaned_data["until"]
            if until is None:
                raise ModerationRefused(_("Choose when the suspension ends."))
            actions.suspend_reader(
                actor=request.user, reader=person, until=until, reason=text
            )
        elif action == "ban":
            actions.ban_reader(actor=request.user, reader=person, reason=text)
        elif action == "lift":
            actions.lift_restrictions(actor=request.user, reader=person, reason=text)
        elif action == "premoderate":
            actions.set_premoderation(
                actor=request.user,
                reader=person,
                on=not person.premoderated,
                reason=text,
            )
    except ModerationRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(username)s: done (%(action)s).")
            % {"username": person.username, "action": action},
        )
    return redirect("moderation-reader", pk=pk)


@login_required
@moderator_required
def log(request):
    entries = AuditEntry.objects.select_related(
        "actor", "reader", "comment", "comment__article"
    )
    if request.GET.get("action") in AuditEntry.Action.values:
        entries = entries.filter(action=request.GET["action"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/log.html",
        {"page": page, "actions": AuditEntry.Action.choices},
    )


@login_required
@moderator_required
def site_mode(request):
    mode = SiteMode.current()
    if request.method == "POST":
        form = SiteModeForm(request.POST)
        if form.is_valid():
            actions.set_site_mode(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Site mode saved."))
            return redirect("moderation-site")
    else:
        form = SiteModeForm(
            initial={
                "read_only": mode.read_only,
                "premoderate_all": mode.premoderate_all,
                "message": mode.message,
            }
        )
    return render(request, "moderation/site.html", {"form": form, "mode": mode})


# Readers reporting comments


@login_required
def report(request, pk):
    comment = get_object_or_404(
        Comment.objects.select_related("article", "author"),
        pk=pk,
        status=Comment.Status.PUBLISHED,
    )
    if not comment.article.is_visible:
        raise Http404("No such comment")
    back = f"{comment.article.get_absolute_url()}#c{comment.number}"
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                actions.report_comment(
                    reporter=request.user,
                    comment=comment,
                    reason=form.cleaned_data["reason"],
                    detail=form.cleaned_data["detail"],
                )
            except ModerationRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request,
                    _("Thank you: comment %(number)s was reported to the moderators.")
                    % {"number": comment.number},
                )
                return redirect(back)
        status = 400
    else:
        form = ReportForm()
        status = 200
    return render(
        request,
        "moderation/report.html",
        {"comment": comment, "article": comment.article, "form": form, "back": back},
        status=status,
    )
