from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        # Connects the signals that keep every process's word matcher current.
        import moderation.words  # noqa: F401
