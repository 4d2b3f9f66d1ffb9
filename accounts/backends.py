from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from lib.prepared import PreparedQuery

# Read on every signed-in request (django.contrib.auth.get_user).
_USER_BY_PK = PreparedQuery(
    lambda pk: User._default_manager.filter(pk=pk).order_by(), pk=-7_000_001
)


class CaseInsensitiveModelBackend(ModelBackend):
    """ModelBackend that refuses unclaimed (imported) accounts.

    Case-insensitive lookup comes from User.objects.get_by_natural_key. The
    signed-in reader is loaded by compiled SQL (lib.prepared).
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and user.is_claimed

    def get_user(self, user_id):
        if not isinstance(user_id, int):
            return super().get_user(user_id)
        user = _USER_BY_PK.first(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
