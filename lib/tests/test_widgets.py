"""The Python-drawn widgets write exactly what Django's templates write."""

import pytest
from django import forms

from lib import widgets

HOSTILE = [
    None,
    "",
    "plain",
    'say "hi" & <script>alert(1)</script>',
    "line one\nline two",
    "' onmouseover='alert(1)",
    "Ракета & «ёлка»",
    0,
    12345,
]
ATTRS = [
    None,
    {"rows": 6, "maxlength": 5000},
    {"required": True, "disabled": False, "class": 'a" b'},
    {"data-x": "<&>", "aria-describedby": "id_body_helptext"},
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize(
    ("ours", "django"),
    [
        (widgets.TextInput, forms.TextInput),
        (widgets.HiddenInput, forms.HiddenInput),
        (widgets.Textarea, forms.Textarea),
    ],
)
def test_it_renders_like_the_template(ours, django, value, attrs):
    extra = {"id": "id_field"}
    assert str(ours(attrs).render("field", value, extra)) == str(
        django(attrs).render("field", value, extra)
    )


def test_the_comment_form_renders_like_before():
    from discussion.forms import CommentForm

    form = CommentForm(
        data={"body": '<b>bold</b> & "quoted"', "parent": "7", "client_token": "x"}
    )
    html = form.as_div()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in html
    assert '<input type="hidden" name="parent" value="7" id="id_parent">' in html
    assert "<b>" not in html


class _PlainForm(forms.Form):
    name = forms.CharField(label='Name & <"title">')
    question = forms.CharField(label="Why?", required=False)
    no_id = forms.CharField(label="No id")


class _DirectForm(widgets.DirectLabelsMixin, _PlainForm):
    pass


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize(
    "call",
    [
        {},
        {"attrs": {"class": "x"}},
        {"attrs": {"data-x": '<&>"', "hidden": True, "gone": False}},
        {"label_suffix": " →"},
        {"tag": "legend"},
        {"contents": "Контент"},
    ],
)
def test_labels_render_like_the_template(auto_id, call):
    ours, django = _DirectForm(auto_id=auto_id), _PlainForm(auto_id=auto_id)
    for django_form in (django,):
        django_form.required_css_class = "required"
    ours.required_css_class = "required"
    for name in ("name", "question", "no_id"):
        assert str(ours[name].label_tag(**call)) == str(django[name].label_tag(**call))
