import pytest


@pytest.mark.real_hashers
def test_it_hashes_new_passwords_with_argon2(django_user_model, db):
    user = django_user_model.objects.create_user("hasher", password="a long passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a long passphrase")
