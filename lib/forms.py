"""Form fields shared by the apps."""

from django import forms


class MultilineField(forms.CharField):
    """A CharField for text typed in a <textarea>, line breaks as "\\n".

    Browsers count a line break as one character against a textarea's
    `maxlength` but send it as CR LF: a text that fitted in the box came back
    "too long" by one character a line. The breaks are normalized before the
    length is checked (and stored that way).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)
