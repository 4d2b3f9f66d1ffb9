from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Readers and accounts"

    def ready(self):
        from accounts import security
        from accounts.roles import ensure_roles

        security.connect_moderation()

        # After every app's post_migrate (permissions exist by then only for
        # apps migrated earlier), so connect without a sender and let it run
        # once per app: get_or_create makes the repeats free of changes.
        post_migrate.connect(ensure_roles, dispatch_uid="accounts.ensure_roles")
