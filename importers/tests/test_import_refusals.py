"""Hostile and broken exports are refused, and nothing is written."""

import pytest
from django.core.management import CommandError

from importers.tests.test_import_disqus import DISQUS
from importers.tests.test_import_wxr import WXR, counts, run

NOTHING = {
    "articles": 0,
    "comments": 0,
    "users": 0,
    "quotes": 0,
    "imported": 0,
    "authors": 0,
}

HEADER = '<?xml version="1.0" encoding="UTF-8" ?>\n'
RSS_OPEN = (
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
    "<channel><title>T</title>"
)


def refused(path, fmt="wxr", *args) -> str:
    before = counts()
    with pytest.raises(CommandError) as error:
        run(str(path), "--format", fmt, *args)
    assert counts() == before
    return str(error.value)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_it_refuses_external_entities(db, tmp_path):
    secret = write(tmp_path, "secret.txt", "root:x:0:0")
    path = write(
        tmp_path,
        "xxe.xml",
        HEADER
        + f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + RSS_OPEN
        + "<item><title>&xxe;</title></item></channel></rss>",
    )
    message = refused(path)
    assert "line 2:" in message
    assert "DTD or entities" in message
    assert "nothing was imported" in message


def test_it_refuses_an_entity_expansion_bomb(db, tmp_path):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    path = write(
        tmp_path,
        "laughs.xml",
        HEADER
        + "<!DOCTYPE disqus [\n"
        + "\n".join(entities)
        + '\n]>\n<disqus xmlns="http://disqus.com"><thread>&lol9;</thread></disqus>',
    )
    assert "DTD or entities" in refused(path, "disqus")


def test_it_refuses_a_doctype_even_without_entities(db, tmp_path):
    path = write(
        tmp_path,
        "dtd.xml",
        HEADER
        + '<!DOCTYPE rss SYSTEM "http://example.com/rss.dtd">\n'
        + RSS_OPEN
        + "</channel></rss>",
    )
    assert "DTD" in refused(path)


def test_a_truncated_file_writes_nothing_not_even_the_complete_items(db, tmp_path):
    text = WXR.read_text(encoding="utf-8")
    # Cut inside the last item, after two whole items with their comments.
    cut = text[: text.index("Comment on the moved article")]
    message = refused(write(tmp_path, "cut.xml", cut))
    assert "truncated" in message
    assert counts() == NOTHING


def test_a_truncated_disqus_file_writes_nothing(db, tmp_path, article):
    text = DISQUS.read_text(encoding="utf-8")
    cut = text[: text.index("Согласен")]
    assert "truncated" in refused(write(tmp_path, "cut.xml", cut), "disqus")


def test_a_broken_comment_is_named_with_its_item_and_line(db, tmp_path):
    text = WXR.read_text(encoding="utf-8")
    text = text.replace(
        "<wp:comment_date_gmt><![CDATA[2016-06-01 10:00:00]]></wp:comment_date_gmt>",
        "<wp:comment_date_gmt>soon</wp:comment_date_gmt>",
    ).replace(
        "<wp:comment_date><![CDATA[2016-06-01 13:00:00]]></wp:comment_date>",
        "<wp:comment_date>later</wp:comment_date>",
    )
    line = text[: text.index("<wp:comment_id>201")].count("\n") + 1
    message = refused(write(tmp_path, "bad.xml", text))
    assert f"line {line - 1}: comment #1 (wp:comment_id 201) in item " in message
    assert '"The moved article"' in message
    assert "wp:comment_date" in message


def test_an_unknown_approval_state_is_refused(db, tmp_path):
    text = WXR.read_text(encoding="utf-8").replace(
        "<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>",
        "<wp:comment_approved>maybe</wp:comment_approved>",
    )
    assert "unknown wp:comment_approved 'maybe'" in refused(
        write(tmp_path, "bad.xml", text)
    )


def test_a_broken_disqus_post_is_named_with_its_line(db, tmp_path, article):
    text = DISQUS.read_text(encoding="utf-8").replace(
        "<createdAt>2016-05-27T09:30:00Z</createdAt>", "<createdAt>вчера</createdAt>"
    )
    line = text[: text.index('<post dsq:id="5012">')].count("\n") + 1
    message = refused(write(tmp_path, "bad.xml", text), "disqus")
    assert f"line {line}: post #12 (dsq:id 5012): cannot read <createdAt>" in message


def test_bytes_not_in_the_declared_encoding_are_refused(db, tmp_path):
    text = WXR.read_text(encoding="utf-8").replace("José Müller", "Jose Muller")
    path = write(tmp_path, "cp1251.xml", text, encoding="cp1251")
    message = refused(path)
    assert "line 12: column 9:" in message  # the channel title, the first Cyrillic
    assert "not in the encoding the file declares" in message


def test_a_file_in_another_declared_encoding_is_read(db, tmp_path):
    text = WXR.read_text(encoding="utf-8").replace(
        'encoding="UTF-8"', 'encoding="windows-1251"'
    )
    # "José Müller" has no windows-1251 form; the rest has.
    text = text.replace("José Müller", "Jose Muller")
    path = write(tmp_path, "cp1251.xml", text, encoding="cp1251")
    out = run(str(path), "--format", "wxr")
    assert "12 comments added" in out


def test_the_wrong_format_and_other_files_are_refused(db, tmp_path):
    assert "this is a Disqus export; use --format disqus" in refused(DISQUS, "wxr")
    page = write(tmp_path, "page.txt", "Military Review\n\nTitle\n")
    assert "line 1: column 1: syntax error" in refused(page)
    empty = write(tmp_path, "empty.xml", "")
    assert "truncated" in refused(empty)
    html = write(tmp_path, "page.html", "<html><body></body></html>")
    assert "not a WordPress export: the document is <html>" in refused(html)


def test_bad_options_are_refused(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run("/nonexistent/export.xml", "--format", "wxr")
    with pytest.raises(CommandError, match="Unknown time zone"):
        run(str(WXR), "--format", "wxr", "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="invalid choice"):
        run(str(WXR), "--format", "blogger")
    bad_map = write(tmp_path, "map.csv", "https://old.example.com/a/\n")
    with pytest.raises(CommandError, match="line 1: expected two columns"):
        run(str(WXR), "--format", "wxr", "--map", str(bad_map))
    assert counts() == NOTHING
