"""The interface in English and Russian: the switcher, the pages, the catalogue.

English stays the default language; a reader gets Russian by the switcher
(the language cookie) or by their browser's Accept-Language.
"""

import os
import re
import shutil
import subprocess
import sys
import uuid
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "ru" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "ru" / "LC_MESSAGES" / "django.mo"
# The sources makemessages reads; the test modules hold no interface text.
MAKEMESSAGES_IGNORE = [".venv", "tests", "*/tests/*", "bench", "staticfiles"]


def _unquote(chunks: list[str]) -> str:
    text = "".join(chunks)
    return (
        text.replace('\\"', '"')
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
    )


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural, msgstr(s).

    Enough of the format for Django's makemessages output: no obsolete
    entries, every string in double quotes.
    """
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"flags": set(), "msgstr": {}}
        key = None
        chunks: dict = {}
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                chunks[key].append(line[1:-1])
            else:
                key, _, rest = line.partition(" ")
                chunks[key] = [rest[1:-1]]
        for name, parts in chunks.items():
            match = re.fullmatch(r"msgstr\[(\d)\]", name)
            if match:
                entry["msgstr"][int(match.group(1))] = _unquote(parts)
            elif name == "msgstr":
                entry["msgstr"][None] = _unquote(parts)
            else:
                entry[name] = _unquote(parts)
        entries.append(entry)
    return entries


def _messages(path: Path) -> list[dict]:
    return [e for e in parse_po(path) if e.get("msgid")]


def test_the_russian_catalogue_is_complete_and_not_fuzzy():
    entries = parse_po(PO)
    header, messages = entries[0], entries[1:]
    assert "nplurals=3;" in header["msgstr"][None]
    assert len(messages) > 400
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry.get("msgid")
    for entry in messages:
        forms = entry["msgstr"]
        assert all(forms.values()), entry["msgid"]
        # Russian: one, few, many ("1 комментарий", "2 комментария", "5 …ев").
        assert len(forms) == (3 if "msgid_plural" in entry else 1), entry["msgid"]


def test_the_compiled_catalogue_matches_the_sources():
    """The committed .mo holds exactly the .po's translations (so a machine
    without gettext serves them as written)."""
    with MO.open("rb") as file:
        compiled = GNUTranslations(file)
    for entry in _messages(PO):
        msgid = entry["msgid"]
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for form, count in ((0, 1), (1, 3), (2, 5)):
                found = (
                    compiled.npgettext(context, msgid, entry["msgid_plural"], count)
                    if context
                    else compiled.ngettext(msgid, entry["msgid_plural"], count)
                )
                assert found == entry["msgstr"][form], msgid
        else:
            found = (
                compiled.pgettext(context, msgid)
                if context
                else compiled.gettext(msgid)
            )
            assert found == entry["msgstr"][None], msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_makemessages_finds_no_string_the_catalogue_lacks(tmp_path):
    """Every string marked for translation in the code is in the catalogue.

    Runs makemessages as developers do, on a copy of the catalogue, and
    compares the message ids: a string marked but not yet extracted, or
    extracted but no longer used, fails here. makemessages writes to the first
    locale folder whose parent holds the source files, so the copy lives in a
    uniquely named folder of the checkout (ignored by git, removed after), and
    the real `locale/` is left out of the walk: it stays untouched.
    """
    scratch = Path(settings.BASE_DIR) / f".i18n-check-{uuid.uuid4().hex}"
    copy = scratch / "ru" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    before = PO.read_bytes()
    try:
        shutil.copy(PO, copy)
        script = (
            "import django, sys;"
            "from django.conf import settings;"
            "django.setup();"
            f"settings.LOCALE_PATHS = [{str(scratch)!r}];"
            "from django.core.management import call_command;"
            "call_command('makemessages', locale=['ru'], no_obsolete=True,"
            # Not "locale": seen in the walk, it would be put first.
            f" ignore_patterns={[*MAKEMESSAGES_IGNORE, 'locale']!r}, verbosity=0)"
        )
        subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", script],
            cwd=settings.BASE_DIR,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tribune.settings"},
            timeout=120,
        )
        extracted = copy.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert PO.read_bytes() == before, "the real catalogue must not be rewritten"
    copy = tmp_path / "extracted.po"
    copy.write_text(extracted, encoding="utf-8")
    _compare_catalogues(copy)


def _compare_catalogues(copy):
    def ids(path):
        return {(e.get("msgctxt"), e["msgid"]) for e in _messages(path)}

    assert ids(copy) - ids(PO) == set(), "run makemessages and translate these"
    assert ids(PO) - ids(copy) == set(), "no longer in the code"
    for entry in _messages(copy):
        assert all(entry["msgstr"].values()), entry["msgid"]


# The switcher.


def test_the_switcher_is_a_plain_form_on_every_page(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert '<option value="ru" lang="ru">Русский</option>' in html
    assert 'name="next" value="/articles/joint-operations/"' in html


def test_the_switcher_sets_the_cookie_and_returns_to_the_page(client, article):
    url = article.get_absolute_url()
    response = client.post(reverse("set_language"), {"language": "ru", "next": url})

    assert response.status_code == 302
    assert response.url == url
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ru"
    # Remembered: a year, not the browser session.
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    html = client.get(url).content.decode()
    assert '<html lang="ru">' in html
    assert "Комментарии" in html


def test_the_switcher_returns_only_to_this_site(client):
    response = client.post(
        reverse("set_language"),
        {"language": "ru", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_the_switcher_ignores_a_language_the_site_does_not_have(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_changes_nothing_on_a_get(client):
    response = client.get(reverse("set_language"), {"language": "ru", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


# What a Russian reader sees.


@pytest.fixture
def russian(db, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return client


def test_english_is_the_default(client, article):
    html = client.get(reverse("newsroom-front")).content.decode()
    assert '<html lang="en">' in html
    assert "Latest" in html and "Sign in" in html


def test_a_russian_reader_gets_a_russian_front_page(russian, article):
    html = russian.get(reverse("newsroom-front")).content.decode()
    assert '<html lang="ru">' in html
    assert "Последние публикации" in html
    assert ">Войти</a>" in html
    assert ">Зарегистрироваться</a>" in html
    assert "0 комментариев" in html


def test_accept_language_chooses_russian_too(client, article):
    html = client.get(
        reverse("newsroom-front"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5"
    ).content.decode()
    assert "Последние публикации" in html


def test_a_russian_reader_gets_a_russian_article_page(russian, article, alice, bob):
    from discussion import actions

    for author in (alice, bob):
        actions.post_comment(article=article, author=author, body="Согласен.")
    html = russian.get(article.get_absolute_url()).content.decode()
    assert "Уважаемый читатель, чтобы оставлять комментарии" in html
    assert ">войти</a>" in html
    assert "2 комментария" in html
    assert "Сообщить о фактической ошибке" in html
    assert 'title="Ссылка на комментарий 1"' in html
    assert '<span class="rank" title="Репутация 0">Рядовой</span>' in html
    assert '<strong aria-current="true">По ветвям</strong>' in html
    # Comment times in Russian words ("25 мая 2016 06:35").
    assert re.search(r"<time [^>]*>\d{1,2} [а-я]+ \d{4} \d\d:\d\d</time>", html)


def test_a_signed_in_russian_reader_gets_russian_controls(client, article, alice, bob):
    from discussion import actions

    actions.post_comment(article=article, author=bob, body="Первый")
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(article.get_absolute_url()).content.decode()
    assert ">Ответить</a>" in html
    assert ">Цитировать</a>" in html
    assert ">Пожаловаться</a>" in html
    assert "Отправить комментарий" in html
    assert 'data-quote-label="Цитировать"' in html


def test_a_russian_reader_gets_russian_sign_in_and_sign_up_pages(russian):
    signin = russian.get(reverse("accounts-signin")).content.decode()
    assert "<h1>Войти</h1>" in signin
    assert "Забыли пароль?" in signin
    assert "Пароль" in signin  # Django's own field label, from its catalogue
    signup = russian.get(reverse("accounts-signup")).content.decode()
    assert "<h1>Зарегистрироваться</h1>" in signup
    assert "Адрес электронной почты" in signup
    assert "Уже есть учётная запись?" in signup


def test_a_refusal_comes_in_the_readers_language(russian, article, alice):
    russian.force_login(alice)
    russian.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = russian.post(
        reverse("discussion-post", args=[article.slug]), {"body": "   "}
    )
    assert response.status_code == 400
    assert "Напишите что-нибудь, прежде чем отправлять." in response.content.decode()


def test_dates_in_russian_take_the_genitive_month():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import translation

    from discussion.render import _Formatter

    moment = datetime(2016, 5, 25, 6, 35, tzinfo=ZoneInfo("Europe/Moscow"))
    with translation.override("ru"):
        assert _Formatter().when(moment)[1] == "25 мая 2016 06:35"
    with translation.override("en"):
        assert _Formatter().when(moment)[1] == "25 May 2016 06:35"


def test_live_updates_speak_the_readers_language(
    russian, article, alice, bob, no_rate_limit
):
    from discussion import actions

    shown = actions.post_comment(article=article, author=alice, body="Раз")
    for body in ("Два", "Три"):
        actions.post_comment(article=article, author=bob, body=body)
    url = reverse("discussion-live", args=[article.slug])
    body = russian.get(url, {"after": shown.pk}).content.decode()
    assert '"text": "2 новых комментария"' in body
    html = russian.get(article.get_absolute_url()).content.decode()
    assert 'data-show="Показать"' in html


def test_a_russian_reader_searches_in_russian(russian, article, alice):
    from discussion import actions

    actions.post_comment(article=article, author=alice, body="Joint operations again.")
    html = russian.get(reverse("newsroom-search"), {"q": "joint"}).content.decode()
    assert "<h1>Поиск</h1>" in html
    assert ">Найти</button>" in html
    assert 'placeholder="Поиск"' in html  # the header's search form
    assert "2 результата по запросу «joint»" in html
    assert "Комментарий <a href=" in html
    assert '<label for="id_section">Рубрика:</label>' in html
    assert "Все рубрики" in html
    nothing = russian.get(reverse("newsroom-search"), {"q": "zyzzyva"})
    assert "По запросу «zyzzyva» ничего не найдено." in nothing.content.decode()


def test_a_russian_reader_gets_search_errors_in_russian(russian, article):
    response = russian.get(
        reverse("newsroom-search"), {"q": "joint", "from": "2016-05-25", "to": "2016"}
    )
    html = response.content.decode()
    assert "Введите дату в виде ГГГГ-ММ-ДД, например 2016-05-25." in html
    response = russian.get(
        reverse("newsroom-search"), {"q": "joint", "author": "nobody"}
    )
    assert "Нет ни автора, ни читателя с таким именем." in response.content.decode()


def test_a_russian_reader_manages_tokens_in_russian(russian, alice):
    russian.force_login(alice)
    russian.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    profile = russian.get(reverse("accounts-profile-edit")).content.decode()
    assert ">Токены доступа для приложений</a>" in profile

    made = russian.post(reverse("api-tokens"), {"name": "Телефон"})
    assert made.status_code == 201
    html = made.content.decode()
    assert "<h1>Токены доступа</h1>" in html
    assert "Ваш новый токен «Телефон»" in html
    assert "Скопируйте его сейчас" in html
    assert '<th scope="col">Последнее использование</th>' in html
    assert "<td>ни разу</td>" in html
    assert ">Отозвать<span" in html

    empty = russian.post(reverse("api-tokens"), {"name": "  "})
    assert "Назовите токен" in empty.content.decode()

    from api.models import AccessToken

    token = AccessToken.objects.get(user=alice)
    listing = russian.post(reverse("api-token-revoke", args=[token.pk]), follow=True)
    assert "Токен «Телефон» отозван и больше не действует." in listing.content.decode()
    assert "отозван " in listing.content.decode()


def test_feeds_speak_the_readers_language(russian, article, alice):
    from discussion import actions

    actions.post_comment(article=article, author=alice, body="Согласен.")
    url = reverse("newsroom-comments-feed-rss", args=[article.slug])
    english = Client().get(url)
    russian_feed = russian.get(url)
    assert "<title>Comment 1 by alice</title>" in english.content.decode()
    body = russian_feed.content.decode()
    assert "<title>Комментарий 1, автор: alice</title>" in body
    assert "Комментарии к статье «Proposal for joint operations" in body
    # A feed reader that switches language does not keep the other one.
    assert english["ETag"] != russian_feed["ETag"]
    page = russian.get(article.get_absolute_url()).content.decode()
    assert 'title="Комментарии к статье «Proposal for joint operations' in page
    assert '<meta property="og:locale" content="en_US">' in page  # the article's
