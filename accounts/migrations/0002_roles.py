"""Create the Editors and Moderators groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": [
        ("newsroom", "article", ["add", "change", "delete", "view"]),
        ("newsroom", "section", ["add", "change", "view"]),
        ("newsroom", "tag", ["add", "change", "delete", "view"]),
        ("newsroom", "author", ["add", "change", "view"]),
        ("newsroom", "byline", ["add", "change", "delete", "view"]),
        ("newsroom", "source", ["add", "change", "delete", "view"]),
    ],
    "Moderators": [
        ("discussion", "comment", ["view", "moderate"]),
        ("discussion", "commentrevision", ["view"]),
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them
    # now so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, actions in grants:
            for action in actions:
                codename = (
                    "moderate_comment" if action == "moderate" else f"{action}_{model}"
                )
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label, codename=codename
                    )
                )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("newsroom", "0001_initial"),
        ("discussion", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
