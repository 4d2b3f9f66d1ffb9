"""Settings from the environment: good values accepted, bad ones named."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lib.env import env_bool, env_int, env_list, env_str

NAME = "TRIBUNE_TEST_SETTING"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


# --- env_bool ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " on "])
def test_it_reads_true(monkeypatch, value):
    monkeypatch.setenv(NAME, value)

    assert env_bool(NAME, False) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off", ""])
def test_it_reads_false(monkeypatch, value):
    monkeypatch.setenv(NAME, value)

    assert env_bool(NAME, True) is False


def test_it_uses_the_default_bool_when_unset():
    assert env_bool(NAME, True) is True
    assert env_bool(NAME, False) is False


@pytest.mark.parametrize("value", ["2", "yep", "enabled", "tru"])
def test_it_refuses_a_bad_bool(monkeypatch, value):
    monkeypatch.setenv(NAME, value)

    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, False)


# --- env_int -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "number"), [("20", 20), (" 7 ", 7), ("-3", -3)])
def test_it_reads_a_whole_number(monkeypatch, value, number):
    monkeypatch.setenv(NAME, value)

    assert env_int(NAME, 1) == number


@pytest.mark.parametrize("value", [None, "", "  "])
def test_it_uses_the_default_number_when_unset_or_empty(monkeypatch, value):
    if value is not None:
        monkeypatch.setenv(NAME, value)

    assert env_int(NAME, 20) == 20


@pytest.mark.parametrize("value", ["twenty", "2.5", "1e3", "12abc"])
def test_it_refuses_a_number_that_is_not_whole(monkeypatch, value):
    monkeypatch.setenv(NAME, value)

    with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be a whole number"):
        env_int(NAME, 20)


def test_it_refuses_a_number_below_the_minimum(monkeypatch):
    monkeypatch.setenv(NAME, "0")

    with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be at least 1"):
        env_int(NAME, 20, minimum=1)


def test_it_accepts_the_minimum_itself(monkeypatch):
    monkeypatch.setenv(NAME, "1")

    assert env_int(NAME, 20, minimum=1) == 1


# --- env_str and NAME_FILE ---------------------------------------------------


def test_it_reads_a_string(monkeypatch):
    monkeypatch.setenv(NAME, "postgres://db/tribune")

    assert env_str(NAME) == "postgres://db/tribune"


def test_it_uses_the_default_string_when_unset():
    assert env_str(NAME, "fallback") == "fallback"
    assert env_str(NAME) == ""


def test_it_reads_a_secret_from_the_named_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv(NAME, "from-the-environment")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))

    # The file wins, and its trailing newline is not part of the secret.
    assert env_str(NAME) == "s3cret-value"


def test_it_refuses_a_file_it_cannot_read(monkeypatch, tmp_path):
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "missing"))

    with pytest.raises(ImproperlyConfigured, match=f"{NAME}_FILE: cannot read"):
        env_str(NAME)


def test_it_ignores_an_empty_file_variable(monkeypatch):
    monkeypatch.setenv(f"{NAME}_FILE", "")
    monkeypatch.setenv(NAME, "direct")

    assert env_str(NAME) == "direct"


# --- env_list ----------------------------------------------------------------


def test_it_reads_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv(NAME, " tribune.example , www.tribune.example,, ")

    assert env_list(NAME, ["localhost"]) == ["tribune.example", "www.tribune.example"]


def test_it_uses_the_default_list_when_unset():
    assert env_list(NAME, ["localhost"]) == ["localhost"]


def test_it_reads_an_empty_list(monkeypatch):
    monkeypatch.setenv(NAME, "")

    assert env_list(NAME, ["localhost"]) == []
