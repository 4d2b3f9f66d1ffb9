from django.apps import AppConfig


class TribuneConfig(AppConfig):
    """The project package as an app, so it can hold `tribune serve`."""

    name = "tribune"
    verbose_name = "Tribune"
