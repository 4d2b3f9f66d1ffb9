"""Form widgets drawn in Python, with the same HTML as Django's templates.

Django renders every widget through the template engine (an include per
attribute list), which made the comment form a third of the template time of
a signed-in article page. These widgets produce the same markup as
django/forms/widgets/input.html and textarea.html, escaped the same way
(`format_html`), without a template. Use them on forms shown on hot pages.
"""

from django import forms
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs(attrs: dict) -> SafeString:
    # As attrs.html: False leaves the attribute out, True writes its bare name.
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(" {}", name)
                if value is True
                else format_html(' {}="{}"', name, str(value)),
            )
            for name, value in attrs.items()
            if value is not False
        ),
    )


class DirectInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if widget["value"] is None:
            return format_html(
                '<input type="{}" name="{}"{}>',
                widget["type"],
                widget["name"],
                _attrs(widget["attrs"]),
            )
        return format_html(
            '<input type="{}" name="{}" value="{}"{}>',
            widget["type"],
            widget["name"],
            str(widget["value"]),
            _attrs(widget["attrs"]),
        )


class TextInput(DirectInputMixin, forms.TextInput):
    pass


class HiddenInput(DirectInputMixin, forms.HiddenInput):
    pass


class Textarea(forms.Textarea):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            _attrs(widget["attrs"]),
            widget["value"] or "",
        )


class DirectLabelsMixin:
    """A form whose field labels (`{{ field.label_tag }}`) are drawn in Python.

    Same markup as django/forms/label.html, which the form renderer would
    otherwise run through the template engine once per field.
    """

    def render(self, template_name=None, context=None, renderer=None):
        if template_name == self.template_name_label and context is not None:
            label = context["label"]
            if not context["use_tag"]:
                return conditional_escape(label)
            tag = context["tag"]
            return format_html(
                "<{}{}>{}</{}>", tag, _attrs(context["attrs"] or {}), label, tag
            )
        return super().render(template_name, context, renderer)
