import pytest
from django.test import Client
from django.urls import reverse

from moderation.models import AuditEntry, WordEntry
from moderation.words import add_words

PAGE = reverse("moderation-words")
ADD = reverse("moderation-words-add")
REMOVE = reverse("moderation-words-remove")
TRY = reverse("moderation-words-try")


@pytest.fixture
def moderator(client, maude):
    client.force_login(maude)
    return client


@pytest.fixture
def entries(db):
    add_words(["fuck", "ass"], "banned", None)
    add_words(["хуй*", "son of a bitch"], "suspect", None)


def test_the_url_is_under_moderation():
    assert PAGE == "/moderation/words/"


def test_it_lists_the_entries(moderator, entries):
    page = moderator.get(PAGE).content.decode()
    for text in ("fuck", "ass", "хуй*", "son of a bitch"):
        assert f"<code>{text}</code>" in page
    assert "Entries (4)" in page


def test_it_filters_by_kind_and_text(moderator, entries):
    page = moderator.get(PAGE, {"kind": "suspect"}).content.decode()
    assert "<code>хуй*</code>" in page
    assert "<code>fuck</code>" not in page
    page = moderator.get(PAGE, {"q": "BIT"}).content.decode()
    assert "<code>son of a bitch</code>" in page
    assert "Entries (1)" in page


def test_it_adds_entries(moderator, maude):
    response = moderator.post(
        ADD, {"words": "Fuck\n\n  son of a bitch \n", "kind": "banned"}
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert dict(WordEntry.objects.values_list("text", "kind")) == {
        "fuck": "banned",
        "son of a bitch": "banned",
    }
    assert WordEntry.objects.filter(created_by=maude).count() == 2
    assert AuditEntry.objects.get().actor == maude
    page = moderator.get(PAGE).content.decode()
    assert "2 entries are now banned" in page


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "Enter at least one word or phrase."),
        ("  \n \n", "Enter at least one word or phrase."),
        ("fine\n" + "x" * 101, "an entry can have at most 100"),
        ("f*ck", "a * may only end an entry"),
    ],
)
def test_it_refuses_bad_input_and_keeps_the_text(moderator, words, message):
    response = moderator.post(ADD, {"words": words, "kind": "banned"})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if words.strip():
        assert words.split("\n")[-1] in page
    assert not WordEntry.objects.exists()


def test_it_refuses_an_unknown_kind(moderator):
    response = moderator.post(ADD, {"words": "fuck", "kind": "awful"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not WordEntry.objects.exists()


def test_it_removes_one_entry(moderator, entries):
    response = moderator.post(REMOVE, {"only": "fuck", "entry": ["ass"]})
    assert response.status_code == 302
    assert set(WordEntry.objects.values_list("text", flat=True)) == {
        "ass",
        "хуй*",
        "son of a bitch",
    }


def test_it_removes_ticked_entries_and_keeps_the_filter(moderator, entries):
    response = moderator.post(
        REMOVE, {"entry": ["fuck", "ass"], "back": "kind=banned&q=a"}
    )
    assert response["Location"] == PAGE + "?kind=banned&q=a"
    assert WordEntry.objects.count() == 2
    audit = AuditEntry.objects.first()
    assert audit.before == {"entries": {"fuck": "banned", "ass": "banned"}}


def test_removing_nothing_says_so(moderator, entries):
    response = moderator.post(REMOVE, {}, follow=True)
    assert "Tick the entries to remove first." in response.content.decode()
    assert WordEntry.objects.count() == 4


def test_it_tries_a_phrase(moderator, entries):
    response = moderator.post(TRY, {"phrase": "Assad said f.u.c.k you, хуйня"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 hits" in page
    assert 'title="fuck (banned)">f.u.c.k</mark>' in page
    assert 'title="хуй* (suspect)">хуйня</mark>' in page
    assert "Assad said " in page
    assert "<mark" not in page.split("Assad")[1].split("said")[0]


def test_a_tried_phrase_is_escaped(moderator, entries):
    phrase = '<script>alert("ass")</script> ass <img src=x onerror=alert(1)>'
    page = moderator.post(TRY, {"phrase": phrase}).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;" in page
    assert ">ass</mark>" in page


def test_an_empty_phrase_is_refused(moderator):
    response = moderator.post(TRY, {"phrase": ""})
    assert response.status_code == 400
    assert "Enter a phrase to try." in response.content.decode()


@pytest.mark.parametrize("url", [ADD, REMOVE, TRY])
def test_writes_need_post(moderator, url):
    assert moderator.get(url).status_code == 405


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", PAGE, {}),
        ("post", ADD, {"words": "fuck", "kind": "banned"}),
        ("post", REMOVE, {"only": "ass"}),
        ("post", TRY, {"phrase": "ass"}),
    ],
)
def test_readers_get_403(client, alice, entries, method, url, data):
    client.force_login(alice)
    assert getattr(client, method)(url, data).status_code == 403
    assert WordEntry.objects.count() == 4


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", PAGE, {}),
        ("post", ADD, {"words": "fuck", "kind": "banned"}),
        ("post", REMOVE, {"only": "ass"}),
        ("post", TRY, {"phrase": "ass"}),
    ],
)
def test_visitors_are_sent_to_sign_in(client, entries, method, url, data):
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-signin") + "?next=")
    assert WordEntry.objects.count() == 4


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (ADD, {"words": "fuck", "kind": "banned"}),
        (REMOVE, {"only": "ass"}),
        (TRY, {"phrase": "ass"}),
    ],
)
def test_csrf_is_enforced(maude, entries, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(maude)
    assert client.post(url, data).status_code == 403
    assert WordEntry.objects.count() == 4
    assert "csrfmiddlewaretoken" in client.get(PAGE).content.decode()
