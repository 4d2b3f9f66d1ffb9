from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.ranks import rank_for
from accounts.validators import UsernameValidator


class TribuneUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Sign-in and lookups ignore case, like the uniqueness constraint.
        return self.get(username__iexact=username)


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=40,
        unique=True,
        validators=[UsernameValidator()],
        help_text="Up to 40 Latin or Cyrillic letters, digits and spaces.",
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address", blank=True)
    bio = models.TextField("about me", blank=True, max_length=2000)
    location = models.CharField(max_length=100, blank=True)
    # Sum of the votes the reader's comments received; kept by the vote action
    # so threads can show ranks without aggregating votes.
    reputation = models.IntegerField(default=0)
    # Authors of imported comments get accounts that cannot sign in until a
    # person proves they own them.
    is_claimed = models.BooleanField(default=True)

    objects = TribuneUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="That username is taken.",
            ),
        ]

    def __str__(self):
        return self.username

    def get_absolute_url(self):
        return reverse("accounts-profile", args=[self.username])

    @property
    def rank(self) -> str:
        return rank_for(self.reputation)

    @property
    def is_editor(self) -> bool:
        return self.is_superuser or self.groups.filter(name="Editors").exists()

    @property
    def is_moderator(self) -> bool:
        return self.has_perm("discussion.moderate_comment")
