"""How many passwords an attacker gets to try, measured against the sign-in form.

The limits (settings, README "Configuration"): at most
TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT (5) failed sign-ins per account and
TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS (20) per address in each fixed window of
TRIBUNE_SIGNIN_WINDOW (900 s). A throttled attempt is refused before the
password is checked, so it tells the attacker nothing and counts for nothing.

Each test below plays an attacker for a simulated hour who, every five
minutes (often enough for 15-minute windows), keeps guessing until refused,
and counts the guesses that were checked. With the defaults that gives:

| attack                                   | guesses checked     | per minute |
| ---------------------------------------- | ------------------- | ---------- |
| one address, one account                 | 20 an hour          | 0.33       |
| one address, many accounts (stuffing)    | 80 an hour in total | 1.33       |
| many addresses, one account              | 20 an hour          | 0.33       |
| N addresses, many accounts               | 80 × N an hour      | 1.33 × N   |

Spelling the name differently (case, full-width letters, spaces) is the same
account. The fixed window lets a burst of twice a limit straddle a window's
end (10 guesses at one account within a minute), never more. The password
change and account deletion forms count wrong passwords with the same
per-account limit.
"""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import PASSWORD

THROTTLED = "Too many failed sign-in attempts"
# A window boundary for every window length used here (900 divides it).
START = 1_800_000_000.0
HOUR = 3600


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START)
    monkeypatch.setattr("lib.ratelimit.time.time", clock)
    return clock


def _guess(client, username, address) -> bool:
    """Try a wrong password; return whether it was checked (not throttled)."""
    response = client.post(
        reverse("accounts-signin"),
        {"username": username, "password": "a wrong guess 123"},
        REMOTE_ADDR=address,
    )
    assert response.status_code == 200
    return THROTTLED not in response.content.decode()


def _attack_for_an_hour(client, clock, usernames, addresses) -> int:
    """Every 5 minutes, guess until refused; return the guesses checked in an hour."""
    checked = 0
    attempt = 0
    for minute in range(0, HOUR // 60, 5):
        clock.now = START + minute * 60
        while True:
            username = usernames(attempt)
            address = addresses(attempt)
            attempt += 1
            if not _guess(client, username, address):
                break
            checked += 1
    return checked


def _per_hour(limit: int) -> int:
    return limit * HOUR // settings.TRIBUNE_SIGNIN_WINDOW


def test_one_address_against_one_account(client, alice, clock):
    checked = _attack_for_an_hour(
        client, clock, lambda i: "alice", lambda i: "198.51.100.1"
    )

    assert checked == _per_hour(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT) == 20
    assert round(checked / 60, 2) == 0.33


def test_one_address_against_many_accounts(client, db, clock):
    # Credential stuffing: a different account for every guess.
    checked = _attack_for_an_hour(
        client, clock, lambda i: f"reader{i}", lambda i: "198.51.100.1"
    )

    assert checked == _per_hour(settings.TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS) == 80
    assert round(checked / 60, 2) == 1.33


def test_many_addresses_against_one_account(client, alice, clock):
    checked = _attack_for_an_hour(
        client, clock, lambda i: "alice", lambda i: f"10.{i // 250}.{i % 250}.1"
    )

    assert checked == _per_hour(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT) == 20


def test_each_address_of_a_botnet_gets_the_address_limit(client, db, clock):
    addresses = ["203.0.113.1", "203.0.113.2"]

    checked = _attack_for_an_hour(
        client,
        clock,
        lambda i: f"reader{i}",
        lambda i: addresses[i % len(addresses)],
    )

    per_address = _per_hour(settings.TRIBUNE_SIGNIN_FAILURES_PER_ADDRESS)
    # Each round the attacker stops at the first refusal, which may come
    # while other addresses still have guesses left: at most N × the limit.
    assert per_address < checked <= per_address * len(addresses)


def test_spelling_the_name_differently_is_the_same_account(client, alice, clock):
    spellings = ["alice", "ALICE", "Alice", "ａｌｉｃｅ", " alice ", "aLiCe"]

    checked = [_guess(client, name, f"10.0.0.{n}") for n, name in enumerate(spellings)]

    limit = settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT
    assert checked == [True] * limit + [False] * (len(spellings) - limit)


def test_a_burst_across_a_window_boundary_is_at_most_twice_the_limit(
    client, alice, clock
):
    limit = settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT
    clock.now = START + settings.TRIBUNE_SIGNIN_WINDOW - 30
    before = sum(_guess(client, "alice", "198.51.100.1") for _ in range(limit + 3))
    clock.now = START + settings.TRIBUNE_SIGNIN_WINDOW + 1
    after = sum(_guess(client, "alice", "198.51.100.1") for _ in range(limit + 3))

    assert before + after == 2 * limit


def test_a_throttled_guess_is_refused_even_when_right(client, alice, clock):
    for _ in range(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT):
        _guess(client, "alice", "198.51.100.1")

    response = client.post(
        reverse("accounts-signin"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
    )

    assert THROTTLED in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_a_throttled_answer_does_not_tell_right_from_wrong(
    client, alice, caplog, clock
):
    """Refused attempts are not checked: the answer to the right password and
    to a wrong one is the same page, and no failure is even recorded."""
    for _ in range(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT):
        _guess(client, "alice", "198.51.100.1")
    caplog.clear()

    pages = [
        _without_tokens(
            client.post(
                reverse("accounts-signin"),
                {"username": "alice", "password": password},
                REMOTE_ADDR="198.51.100.1",
            ).content.decode()
        )
        for password in ("a wrong guess 123", PASSWORD)
    ]

    assert pages[0] == pages[1]
    assert THROTTLED in pages[0]
    assert "do not match" not in pages[0]
    assert 'value="alice"' in pages[0]  # the name typed is kept
    assert not any("sign-in failed" in r.getMessage() for r in caplog.records)


def test_a_throttled_password_change_does_not_tell_right_from_wrong(
    client, alice, clock
):
    client.force_login(alice)
    for _ in range(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT):
        _change_password(client, "a wrong guess 123")

    wrong = _without_tokens(
        _change_password(client, "a wrong guess 123").content.decode()
    )
    right = _without_tokens(_change_password(client, PASSWORD).content.decode())

    assert wrong == right
    assert "entered incorrectly" not in right


def _change_password(client, old):
    new = "a brand new long passphrase"
    return client.post(
        reverse("accounts-password-change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_password_change_guesses_count_against_the_account(client, alice, clock):
    client.force_login(alice)
    limit = settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT

    for _ in range(limit):
        response = _change_password(client, "a wrong guess 123")
        assert "Your old password was entered incorrectly" in response.content.decode()
    # Now even the right password is not checked, and nothing changes.
    response = _change_password(client, PASSWORD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Too many wrong passwords. Your password was not changed." in html
    assert "entered incorrectly" not in html
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    # And the sign-in form is closed to the account as well.
    assert not _guess(client, "alice", "198.51.100.9")


def test_password_change_works_after_the_window(client, alice, clock):
    client.force_login(alice)
    for _ in range(settings.TRIBUNE_SIGNIN_FAILURES_PER_ACCOUNT):
        _change_password(client, "a wrong guess 123")

    clock.now += settings.TRIBUNE_SIGNIN_WINDOW

    assert _change_password(client, PASSWORD).status_code == 302
