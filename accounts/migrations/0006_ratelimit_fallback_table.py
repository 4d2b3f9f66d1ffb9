"""Create the rate-limit table on sites that run with Redis too.

There it holds the counters while Redis is away (lib.ratelimit); sites that
migrated with REDIS_URL set never had it. createcachetable skips a table
that exists.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_more_roles")]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
