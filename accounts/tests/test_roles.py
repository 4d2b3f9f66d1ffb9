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


def _fresh(user):
    from accounts.models import User

    return User.objects.get(pk=user.pk)


def test_is_moderator_agrees_with_has_perm_in_one_query(
    alice, bob, eddie, maude, django_assert_num_queries
):
    from django.contrib.auth.models import Permission

    from discussion.models import MODERATE_PERMISSION

    bob.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    root = type(alice).objects.create_superuser("root", password="x" * 16)
    gone = type(alice).objects.create_user("gone", password="x" * 16)
    gone.groups.add(*maude.groups.all())
    gone.is_active = False
    gone.save()
    expected = {"alice": False, "bob": True, "eddie": False, "maude": True}
    for user in (alice, bob, eddie, maude, root, gone):
        fresh = _fresh(user)
        with django_assert_num_queries(0 if user in (root, gone) else 1):
            answer = fresh.is_moderator
            assert fresh.is_moderator == answer  # remembered
        assert answer == _fresh(user).has_perm(MODERATE_PERMISSION)
        if user.username in expected:
            assert answer is expected[user.username]
    assert _fresh(root).is_moderator is True
    assert _fresh(gone).is_moderator is False
