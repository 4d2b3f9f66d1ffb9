"""The moderators' page for the banned and suspect word lists."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from discussion.models import MODERATE_PERMISSION
from lib.forms import MultilineField
from moderation import words
from moderation.models import WordEntry
from moderation.views import QUEUES

PERMISSION = MODERATE_PERMISSION
PER_PAGE = 100
#: Lines one add form takes; a longer list goes through `tribune words add`.
MAX_LINES = 1000


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", _("All kinds")), *WordEntry.Kind.choices], required=False
    )
    q = forms.CharField(label=_("Containing"), required=False, max_length=100)


class AddForm(forms.Form):
    words = MultilineField(
        label=_("Words or phrases"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One a line. A trailing * matches any ending: “fuck*” matches “fucking”."
        ),
        max_length=MAX_LINES * (words.MAX_LENGTH + 1),
        error_messages={"required": _("Enter at least one word or phrase.")},
    )
    kind = forms.ChoiceField(
        choices=WordEntry.Kind.choices,
        widget=forms.RadioSelect,
        initial=WordEntry.Kind.SUSPECT,
    )

    def clean_words(self) -> list[str]:
        lines = [line for line in self.cleaned_data["words"].splitlines()]
        lines = [line for line in lines if line.strip()]
        if not lines:
            raise forms.ValidationError(gettext("Enter at least one word or phrase."))
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(
                gettext("At most %(max)d lines at a time; this has %(count)d.")
                % {"max": MAX_LINES, "count": len(lines)}
            )
        errors = []
        for line in lines:
            try:
                words.normalise_entry(line)
            except ValueError as e:
                errors.append(str(e))
        if errors:
            raise forms.ValidationError(errors)
        return lines


class TryForm(forms.Form):
    phrase = MultilineField(
        label=_("Try a phrase"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Enter a phrase to try.")},
    )


def _segments(text: str, hits: list[words.Hit]) -> list[tuple[str, words.Hit | None]]:
    """Split `text` into the pieces between and on the hits, for <mark>."""
    pieces: list[tuple[str, words.Hit | None]] = []
    position = 0
    for hit in hits:
        if hit.start > position:
            pieces.append((text[position : hit.start], None))
        pieces.append((hit.match, hit))
        position = hit.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def _page(request, *, add_form=None, try_form=None, tried=None, status=200):
    """Render the word-list page; one count and one page of entries."""
    filters = FilterForm(request.GET or None)
    entries = WordEntry.objects.select_related("created_by")
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            entries = entries.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["q"]:
            entries = entries.filter(text__icontains=filters.cleaned_data["q"])
    page = Paginator(entries.order_by("text"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "queues": QUEUES,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "add_form": add_form or AddForm(),
        "try_form": try_form or TryForm(),
        "tried": tried,
    }
    return render(request, "moderation/words.html", context, status=status)


def moderator_only(view):
    """Signed-in moderators only: others get 403, visitors the sign-in page."""
    return login_required(permission_required(PERMISSION, raise_exception=True)(view))


@require_GET
@moderator_only
def word_list(request):
    return _page(request)


@require_POST
@moderator_only
def add(request):
    form = AddForm(request.POST)
    if not form.is_valid():
        return _page(request, add_form=form, status=400)
    kind = form.cleaned_data["kind"]
    try:
        entries = words.add_words(form.cleaned_data["words"], kind, request.user)
    except ValueError as e:
        form.add_error("words", str(e))
        return _page(request, add_form=form, status=400)
    listed = ", ".join(entry.text for entry in entries[:20])
    if len(entries) > 20:
        listed += " …"
    if kind == WordEntry.Kind.BANNED:
        added = ngettext(
            "%(count)d entry is now banned: %(entries)s",
            "%(count)d entries are now banned: %(entries)s",
            len(entries),
        )
    else:
        added = ngettext(
            "%(count)d entry is now suspect: %(entries)s",
            "%(count)d entries are now suspect: %(entries)s",
            len(entries),
        )
    messages.success(request, added % {"count": len(entries), "entries": listed})
    return redirect("moderation-words")


@require_POST
@moderator_only
def remove(request):
    # A row's own button sends "only"; the bulk button sends the ticked rows.
    only = request.POST.get("only")
    texts = [only] if only else request.POST.getlist("entry")
    if not texts:
        messages.error(request, gettext("Tick the entries to remove first."))
        return redirect(_back(request))
    removed = words.remove_words(texts, request.user)
    if removed:
        messages.success(
            request,
            ngettext("Removed %(count)d entry.", "Removed %(count)d entries.", removed)
            % {"count": removed},
        )
    else:
        messages.info(
            request, gettext("Nothing to remove: those entries were already gone.")
        )
    return redirect(_back(request))


def _back(request) -> str:
    """The list as the moderator filtered it (the query is kept in `back`)."""
    url = reverse("moderation-words")
    query = request.POST.get("back", "")
    return f"{url}?{query}" if query and "\n" not in query else url


@require_POST
@moderator_only
def try_phrase(request):
    form = TryForm(request.POST)
    if not form.is_valid():
        return _page(request, try_form=form, status=400)
    phrase = form.cleaned_data["phrase"]
    hits = words.check_text(phrase)
    tried = {"hits": hits, "segments": _segments(phrase, hits)}
    return _page(request, try_form=form, tried=tried)
