import pytest
from django.urls import reverse

from conftest import PASSWORD


@pytest.fixture
def admin_client(client, django_user_model):
    boss = django_user_model.objects.create_superuser(
        "boss", "boss@example.org", PASSWORD
    )
    client.force_login(boss)
    return client


def test_it_lists_filters_and_searches_readers(admin_client, alice, bob):
    url = reverse("admin:accounts_user_changelist")

    listing = admin_client.get(url)
    filtered = admin_client.get(url, {"is_claimed__exact": "1", "q": "ali"})

    assert listing.status_code == 200
    assert "alice@example.org" in listing.content.decode()
    assert list(filtered.context["cl"].result_list) == [alice]


def test_it_edits_a_reader(admin_client, alice):
    url = reverse("admin:accounts_user_change", args=[alice.pk])

    page = admin_client.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="bio"' in html
    assert 'name="location"' in html
    assert 'name="is_claimed"' in html
    assert 'name="reputation"' not in html  # kept by the vote action


def test_it_adds_a_reader(admin_client, django_user_model):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "Волжский казак",
            "email": "v@example.org",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert django_user_model.objects.get(username="Волжский казак").check_password(
        PASSWORD
    )


def test_it_refuses_a_username_taken_in_another_case(admin_client, alice):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "Alice",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()


def test_it_keeps_readers_out(client, alice):
    client.force_login(alice)

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
