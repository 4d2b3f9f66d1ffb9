from django.contrib.auth.models import Group

from accounts.roles import ROLES, ensure_roles


def test_it_recreates_missing_roles_with_their_permissions(db):
    Group.objects.all().delete()
    ensure_roles()
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)
    moderators = Group.objects.get(name="Moderators")
    assert moderators.permissions.filter(codename="moderate_comment").exists()
    editors = Group.objects.get(name="Editors")
    assert editors.permissions.filter(codename="change_article").exists()
    assert not editors.permissions.filter(codename="moderate_comment").exists()
    count = moderators.permissions.count()
    ensure_roles()
    assert moderators.permissions.count() == count
