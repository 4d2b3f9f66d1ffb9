"""The groups that make up Tribune's roles, and what each may do.

Data migrations create them on a new database; `ensure_roles` runs after
every migrate and flush as well (post_migrate), so a database emptied by a
test run or an operator gets them back.
"""

ROLES = {
    "Editors": [
        ("newsroom", "article", ["add", "change", "delete", "view"]),
        ("newsroom", "section", ["add", "change", "view"]),
        ("newsroom", "tag", ["add", "change", "delete", "view"]),
        ("newsroom", "author", ["add", "change", "view"]),
        ("newsroom", "byline", ["add", "change", "delete", "view"]),
        ("newsroom", "source", ["add", "change", "delete", "view"]),
        ("newsroom", "errorreport", ["change", "view"]),
    ],
    "Moderators": [
        ("discussion", "comment", ["view", "moderate"]),
        ("discussion", "commentrevision", ["view"]),
        ("moderation", "report", ["view"]),
        ("moderation", "auditentry", ["view"]),
        ("moderation", "wordentry", ["view"]),
    ],
    "Trusted readers": [],
}


def _codename(action: str, model: str) -> str:
    return "moderate_comment" if action == "moderate" else f"{action}_{model}"


def ensure_roles(sender=None, using="default", **kwargs) -> None:
    """Create the groups and grant their permissions; changes nothing if present."""
    from django.contrib.auth.models import Group, Permission

    for name, grants in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = [
            (app_label, _codename(action, model))
            for app_label, model, actions in grants
            for action in actions
        ]
        permissions = [
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
            for app_label, codename in wanted
        ]
        group.permissions.add(*[p for p in permissions if p is not None])
