"""The one SiteMode row, so reading the switches never has to create it."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("moderation", "SiteMode").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
