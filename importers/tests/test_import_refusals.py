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


# --- found by bench/fuzz.py: each used to escape as a ValueError, LookupError
# or OverflowError instead of a message ------------------------------------


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        ("shift_jis", "multi-byte encodings are not supported"),
        ("x-no-such-encoding", "unknown encoding"),
    ],
)
def test_an_encoding_the_parser_cannot_read_is_refused(db, tmp_path, declared, reason):
    text = WXR.read_text(encoding="utf-8").replace(
        'encoding="UTF-8"', f'encoding="{declared}"'
    )
    message = refused(write(tmp_path, "odd.xml", text))
    assert "line 1: cannot read the encoding the file declares" in message
    assert reason in message
    assert "save it as UTF-8" in message


def test_a_link_that_is_not_a_url_is_refused(db, tmp_path):
    text = WXR.read_text(encoding="utf-8")
    item = text.replace(
        "<link>https://old.example.com/about/</link>", "<link>http://[::1</link>"
    )
    message = refused(write(tmp_path, "item.xml", item))
    assert "line 269: item \"About\" (line 269): <link> 'http://[::1' is not a URL" in (
        message
    )
    site = text.replace(
        "<wp:base_site_url>https://old.example.com</wp:base_site_url>",
        "<wp:base_site_url>http://[::1</wp:base_site_url>",
    )
    assert "line 18: <wp:base_site_url> 'http://[::1' is not a URL" in refused(
        write(tmp_path, "site.xml", site)
    )
    thread = DISQUS.read_text(encoding="utf-8").replace(
        "http://old.example.com/2016/05/syria/", "http://[::1"
    )
    assert "thread 1002: <link> 'http://[::1' is not a URL" in refused(
        write(tmp_path, "thread.xml", thread), "disqus"
    )


def test_a_map_with_a_line_that_is_not_a_url_is_refused(db, tmp_path):
    bad_map = write(tmp_path, "map.csv", "http://[::1,https://tribune.example/a/\n")
    with pytest.raises(CommandError, match="line 1: the old URL 'http://\\[::1'"):
        run(str(WXR), "--format", "wxr", "--map", str(bad_map))
    assert counts() == NOTHING


def test_moments_outside_the_calendar_in_utc_are_refused(db, tmp_path):
    # Year 1 in Moscow is year 0 in UTC; 9999 at UTC-14 is 10000.
    text = WXR.read_text(encoding="utf-8").replace(
        "<wp:comment_date><![CDATA[2016-05-25 23:15:00]]></wp:comment_date>",
        "<wp:comment_date><![CDATA[0001-01-01 00:15:00]]></wp:comment_date>",
    )
    message = refused(
        write(tmp_path, "year1.xml", text), "wxr", "--timezone", "Europe/Moscow"
    )
    assert "(wp:comment_id 112)" in message
    assert "has no readable wp:comment_date" in message
    text = DISQUS.read_text(encoding="utf-8").replace(
        "2016-05-25T03:35:00Z", "9999-12-31T23:59:59-14:00"
    )
    message = refused(write(tmp_path, "year10000.xml", text), "disqus")
    assert "post #1 (dsq:id 5001): cannot read <createdAt>" in message


def test_elements_nested_too_deep_are_refused_before_filling_memory(db, tmp_path):
    # Found by bench/fuzz.py: 15 million nested elements held every open one
    # in memory. The refusal comes at the 101st level, whatever follows.
    deep = "<x>" * 1_000_000
    text = DISQUS.read_text(encoding="utf-8").replace("<thread ", deep + "<thread ", 1)
    message = refused(write(tmp_path, "deep.xml", text), "disqus")
    assert "line 8: elements nested more than 100 deep" in message
