"""Text typed in a textarea is measured as the browser counted it."""

import pytest
from django import forms

from accounts.forms import ProfileForm
from lib.forms import MultilineField
from moderation.forms import ReaderActionForm, ReportForm
from newsroom.views import ErrorReportForm


class _Form(forms.Form):
    text = MultilineField(max_length=10)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("one\r\ntwo\r\n3", "one\ntwo\n3"),  # 11 sent, 10 counted by the browser
        ("a\rb", "a\nb"),
        ("plain", "plain"),
    ],
)
def test_line_breaks_count_once(sent, kept):
    form = _Form({"text": sent})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == kept


def test_a_text_still_too_long_is_refused():
    form = _Form({"text": "x" * 9 + "\r\nx"})
    assert not form.is_valid()


@pytest.mark.parametrize(
    ("form_class", "field", "extra"),
    [
        (ReportForm, "detail", {"reason": "spam"}),
        (ReaderActionForm, "text", {}),
        (ErrorReportForm, "detail", {}),
        (ProfileForm, "bio", {"email": "reader@example.org"}),
    ],
)
def test_the_site_forms_measure_textareas_that_way(db, form_class, field, extra):
    limit = form_class().fields[field].max_length
    lines = "a" * 9 + "\r\n"  # ten characters in the box, eleven sent
    text = (lines * (limit // 10))[: limit + limit // 10 - 2]
    assert len(text) > limit
    assert len(text.replace("\r\n", "\n")) <= limit
    form = form_class({field: text, **extra})
    form.is_valid()
    assert field not in form.errors, form.errors
