import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conftest import PASSWORD
from lib.honeypot import FIELD_NAME, REFUSED

URL = reverse("accounts-signup")


def _data(**overrides):
    data = {
        "username": "Volga Cossack",
        "email": "volga@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        FIELD_NAME: "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_it_renders_a_hidden_honeypot(client):
    html = client.get(URL).content.decode()

    assert '<div class="hp-field" aria-hidden="true">' in html
    assert f'<label for="id_{FIELD_NAME}">Leave this field empty</label>' in html
    assert f'name="{FIELD_NAME}"' in html
    assert 'tabindex="-1"' in html
    assert 'autocomplete="off"' in html
    # Not display:none, which some bots notice and skip.
    honeypot = html.split('class="hp-field"')[1].split("</div>")[0]
    assert 'type="text"' in honeypot
    assert " hidden" not in honeypot
    assert "display" not in honeypot


@pytest.mark.django_db
def test_it_refuses_a_sign_up_with_the_honeypot_filled(client, caplog):
    with caplog.at_level("WARNING", logger="tribune.security"):
        response = client.post(URL, _data(**{FIELD_NAME: "https://spam.example"}))

    assert response.status_code == 200
    html = response.content.decode()
    assert str(REFUSED) in html
    # What the visitor typed is kept; the honeypot comes back empty.
    assert 'value="Volga Cossack"' in html
    assert 'value="volga@example.org"' in html
    assert "spam.example" not in html
    assert not get_user_model().objects.filter(username="Volga Cossack").exists()
    assert not response.wsgi_request.user.is_authenticated
    assert any("honeypot" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_it_signs_up_with_the_honeypot_empty(client):
    response = client.post(URL, _data())

    assert response.status_code == 302
    assert get_user_model().objects.filter(username="Volga Cossack").exists()


@pytest.mark.django_db
def test_it_signs_up_without_the_honeypot_at_all(client):
    data = _data()
    del data[FIELD_NAME]

    assert client.post(URL, data).status_code == 302
