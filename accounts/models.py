import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property

from accounts.ranks import rank_for
from accounts.validators import UsernameValidator


def fold_username(username: str) -> str:
    """Return the form of a username that uniqueness and lookups compare.

    Folded in Python rather than with the database's LOWER()/LIKE, which on
    SQLite fold ASCII only: "ВОЛГА" and "волга" must be one name everywhere,
    and NFKC makes full-width "ａｌｉｃｅ" the same as "alice".
    """
    return unicodedata.normalize("NFKC", username).strip().casefold()


class TribuneUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Sign-in and lookups ignore case, like the uniqueness constraint.
        return self.get(username_key=fold_username(username))

    def find(self, username: str):
        """Return the account named `username` in any case, or None."""
        return self.filter(username_key=fold_username(username)).first()


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=40,
        unique=True,
        validators=[UsernameValidator()],
        help_text="Up to 40 Latin or Cyrillic letters, digits and spaces.",
        error_messages={"unique": "That username is taken."},
    )
    # fold_username(username), kept by save(); unique, so names differ by more
    # than case.
    username_key = models.CharField(max_length=160, unique=True, editable=False)
    email = models.EmailField("email address", blank=True)
    bio = models.TextField("about me", blank=True, max_length=2000)
    location = models.CharField(max_length=100, blank=True)
    # Sum of the votes the reader's comments received; kept by the vote action
    # so threads can show ranks without aggregating votes.
    reputation = models.IntegerField(default=0)
    # Authors of imported comments get accounts that cannot sign in until a
    # person proves they own them.
    is_claimed = models.BooleanField(default=True)
    # Moderation state, changed only through moderation.actions.
    premoderated = models.BooleanField(
        default=False, help_text="Every comment of this reader waits for a moderator."
    )
    suspended_until = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(max_length=300, blank=True)

    objects = TribuneUserManager()

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.username_key = fold_username(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("accounts-profile", args=[self.username])

    @property
    def rank(self) -> str:
        return rank_for(self.reputation)

    @cached_property
    def is_moderator(self) -> bool:
        """Active superusers and holders of the moderation permission, directly
        or through a group (one query, remembered by this object like Django's
        own permission cache).

        The same answer as has_perm(MODERATE_PERMISSION) with the model
        backend, which would read all the user's and groups' permissions in
        two queries on every page a signed-in reader opens.
        """
        from django.contrib.auth.models import Group, Permission
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection

        from discussion.models import MODERATE_PERMISSION

        if not self.is_active or self.pk is None:
            return False
        if self.is_superuser:
            return True
        if hasattr(self, "_perm_cache"):
            return MODERATE_PERMISSION in self._perm_cache
        app_label, codename = MODERATE_PERMISSION.split(".")
        qn = connection.ops.quote_name
        tables = {
            "permission": Permission._meta.db_table,
            "content_type": ContentType._meta.db_table,
            "user_permissions": User.user_permissions.through._meta.db_table,
            "user_groups": User.groups.through._meta.db_table,
            "group_permissions": Group.permissions.through._meta.db_table,
        }
        t = {key: qn(name) for key, name in tables.items()}
        # Plain SQL: the ORM spent more on compiling this query than the
        # database on answering it, on every page a signed-in reader opens.
        # Only quoted table names are interpolated; values are parameters.
        sql = (
            f"SELECT 1 FROM {t['permission']} p "  # noqa: S608
            f"INNER JOIN {t['content_type']} ct ON ct.id = p.content_type_id "
            "WHERE ct.app_label = %s AND p.codename = %s AND ("
            f"EXISTS (SELECT 1 FROM {t['user_permissions']} up "
            "WHERE up.permission_id = p.id AND up.user_id = %s) "
            f"OR EXISTS (SELECT 1 FROM {t['group_permissions']} gp "
            f"INNER JOIN {t['user_groups']} ug ON ug.group_id = gp.group_id "
            "WHERE gp.permission_id = p.id AND ug.user_id = %s)) LIMIT 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [app_label, codename, self.pk, self.pk])
            return cursor.fetchone() is not None
