from django.contrib.auth.backends import ModelBackend


class CaseInsensitiveModelBackend(ModelBackend):
    """ModelBackend that refuses unclaimed (imported) accounts.

    Case-insensitive lookup comes from User.objects.get_by_natural_key.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and user.is_claimed
