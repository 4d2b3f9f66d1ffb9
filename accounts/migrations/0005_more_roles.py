"""Trusted readers and Administrators groups; editors handle error reports."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Editors": [
        ("newsroom", "view_errorreport"),
        ("newsroom", "change_errorreport"),
    ],
    "Moderators": [
        ("moderation", "view_report"),
        ("moderation", "view_auditentry"),
        ("moderation", "view_wordentry"),
    ],
    "Trusted readers": [],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Trusted readers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_moderation_state"),
        ("newsroom", "0003_error_reports"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
