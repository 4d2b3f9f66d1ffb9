import json

import pytest
from django.core.management import CommandError, call_command

from moderation.models import AuditEntry, WordEntry


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("words", *args, stdout=out)
    return out.getvalue()


def test_it_adds_banned_and_suspect_entries(db):
    run("add", "--banned", "Fuck", "ass")
    run("add", "--suspect", "son of a bitch", "хуй")
    assert dict(WordEntry.objects.values_list("text", "kind")) == {
        "fuck": "banned",
        "ass": "banned",
        "son of a bitch": "suspect",
        "хуй": "suspect",
    }
    audit = AuditEntry.objects.first()
    assert audit.action == AuditEntry.Action.WORDS
    assert audit.actor is None


def test_it_lists_entries_as_text_and_json(db):
    run("add", "--banned", "fuck")
    run("add", "--suspect", "хуй*")
    assert run("list") == "banned\tfuck\nsuspect\tхуй*\n"
    assert run("list", "--kind", "suspect") == "suspect\tхуй*\n"
    assert json.loads(run("list", "--json")) == [
        {"text": "fuck", "kind": "banned"},
        {"text": "хуй*", "kind": "suspect"},
    ]
    assert "хуй" in run("list", "--json")  # not \u escapes


def test_it_removes_entries(db):
    run("add", "--banned", "fuck", "ass")
    assert "Removed 1 of 2" in run("remove", "FUCK", "unknown")
    assert list(WordEntry.objects.values_list("text", flat=True)) == ["ass"]


def test_it_tests_a_text_and_prints_json(db):
    run("add", "--banned", "fuck", "ass")
    run("add", "--suspect", "сука")
    output = run("test", "Assad? f.u.c.k that, сууука")
    assert json.loads(output) == [
        {"entry": "fuck", "kind": "banned", "match": "f.u.c.k"},
        {"entry": "сука", "kind": "suspect", "match": "сууука"},
    ]
    assert "сууука" in output
    assert json.loads(run("test", "nothing here")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "fuck"], "one of the arguments --banned --suspect is required"),
        (["add", "--banned", "--suspect", "fuck"], "not allowed with argument"),
        (["add", "--banned"], "the following arguments are required: WORD"),
        (["add", "--banned", "x" * 101], "at most 100"),
        (["add", "--banned", "f*ck"], "may only end an entry"),
        (["remove"], "the following arguments are required: WORD"),
        (["test"], "the following arguments are required: text"),
        (["frobnicate"], "invalid choice"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_usage_is_a_command_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not WordEntry.objects.exists()
