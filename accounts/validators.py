import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Letters of any script Python calls alphabetic would let in look-alike
# impersonation from dozens of alphabets; the publication's readers write in
# Latin and Cyrillic, so those two (with digits, spaces and a little
# punctuation seen in real names such as "avg-mgn") are what we accept.
_USERNAME_RE = re.compile(r"^[A-Za-z0-9\u0400-\u04FF][A-Za-z0-9\u0400-\u04FF _.\-]*$")


@deconstructible
class UsernameValidator:
    message = _(
        "Use Latin or Cyrillic letters, digits, spaces, dots, hyphens and "
        "underscores, starting with a letter or digit."
    )
    code = "invalid_username"

    def __call__(self, value: str) -> None:
        if not _USERNAME_RE.match(value):
            raise ValidationError(self.message, code=self.code)
        if "  " in value or value != value.strip():
            raise ValidationError(
                _(
                    "A username cannot start or end with a space or contain two "
                    "in a row."
                ),
                code=self.code,
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsernameValidator)
