"""A base for management commands whose help is laid out by hand."""

from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand


class ExplainedCommand(BaseCommand):
    """A command whose `help` is several paragraphs, printed as written
    (argparse would otherwise run them together into one)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser
