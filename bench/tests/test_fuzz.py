"""The fuzzing harness (bench/fuzz.py), run briefly: no parser crashes, and
the harness does notice a crash or a partial write when there is one."""

import importlib

import pytest

from bench import fuzz
from importers.reference_page import PageFormatError
from newsroom.models import Section


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://tribune.example"


@pytest.mark.parametrize("parser", fuzz.PARSERS)
def test_no_parser_crashes_on_a_few_hostile_inputs(db, tmp_path, parser):
    tally = fuzz.fuzz(parser, examples=20, crashes_dir=tmp_path)
    assert tally.inputs >= 20
    assert tally.accepted + tally.refused == tally.inputs
    assert tally.refused > 0  # the mutations do break documents
    tracebacks = [p.read_text()[-3000:] for p in tmp_path.glob("*.traceback.txt")]
    assert tally.crashes == [], tracebacks
    assert not Section.objects.exists()  # every input was rolled back


def test_it_reports_an_exception_with_its_shrunk_input(db, tmp_path, monkeypatch):
    def broken(comments, article):
        raise KeyError("a bug")

    monkeypatch.setattr("importers.reference_page._attach_quotes", broken)
    tally = fuzz.fuzz("page", examples=10, crashes_dir=tmp_path)
    assert len(tally.crashes) == 1
    # Named by the deepest frame of the project outside bench/.
    assert tally.crashes[0]["signature"].startswith("KeyError at reference_page.py:")
    saved = tmp_path / tally.crashes[0]["saved_as"].rpartition("/")[2]
    assert saved.read_bytes()
    assert "KeyError: 'a bug'" in saved.with_suffix(".traceback.txt").read_text()


def test_it_reports_a_refusal_that_leaves_rows_behind(db, tmp_path, monkeypatch):
    command = importlib.import_module("importers.management.commands.import-page")

    def half_done(text, timezone):
        Section.objects.create(name="Half", slug="half")
        raise PageFormatError(1, "refused after writing")

    monkeypatch.setattr(command, "parse_page", half_done)
    tally = fuzz.fuzz("page", examples=5, crashes_dir=tmp_path)
    assert len(tally.crashes) == 1
    assert tally.crashes[0]["signature"] == (
        "Crash: refused (FILE: line N: refused after writing) "
        "but rows were left behind: {'newsroom.Section': N}"
    )
    assert not Section.objects.exists()
