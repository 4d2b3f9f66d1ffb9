"""The XSS corpus through the real pages, in Chromium: nothing runs.

Every page here opens with `bypass_csp=True`: the Content-Security-Policy
would block an inline handler that slipped through, and this test is about
the markup itself (sanitizer and templates), the defence under the policy.
Before any page script runs, an init script replaces alert, confirm, prompt
and print and defines `window.__pwned` and `window.__xss__` (not writable);
each records the call in `window.__xss` and reports it to the test through a
Playwright binding, which outlives navigations. Dialogs are trapped too
(recorded and dismissed). After every page load, post and htmx swap a DOM
walk looks for what could run: an on* attribute; an href, src, action,
formaction, xlink:href, data, poster, background, cite or srcset (attribute,
and the element's property as the browser resolved it) whose URL, parsed by
the browser's own URL parser, is javascript:, vbscript: or data:; a <script>
that is not a same-origin file under /static/ or a JSON data block; svg,
math (any element outside the HTML namespace), iframe, frame, object,
embed, applet, base, a meta http-equiv; a style or srcdoc attribute.
<template> contents and shadow roots are walked. The site itself has no
data: URL. On the admin's pages, what they show while only a harmless
article exists (Django's inline SVG icons, /admin/jsi18n/) is theirs.

Posted through the pages' forms (typed with `fill`, sent with the button),
the corpus in its hooked form (tests.security.payloads.HOOKED_PAYLOADS:
payload N calls `__pwned(N)`; NUL left out, as the forms refuse it):
- comments: all 117, 15 to a comment (8 comments), by alice through the
  article's form; a reply quoting bob's first comment, posted from the htmx
  "Quote" form; 15 more in a reply by bob from the htmx "Reply" form;
- report details ("Something else"): all 117, in 6 details of up to 1,000
  characters, by bob through the report page;
- a removal reason: the first 11, by maude through the queue's bulk form;
- moderator warnings: all 117, in 7 of up to 1,000 characters, by maude
  through the reader's moderation page;
- profile: all 117 in "About me" (4 saves of up to 2,000 characters) and
  every tenth (12) as "Location", by alice;
- search: all 117 typed into the header's search box, as many to a query as
  its 200 characters hold (34 queries);
- sign-up: every tenth (12) as the username (refused and shown back);
- articles: all 117 in the leads and bodies of 5 articles eddie writes in
  the admin (/admin/, the newsroom's editing interface), with 5 attribute
  and element breakouts as their titles.

Created directly through the actions (the original corpus, calling
`window.__xss__(1)`), then only viewed: a comment per payload by bob, an
article per payload (as its title and lead), and replies that notify alice.

Pages checked: the article page (both parts of the thread, as a visitor
and signed in, after every post), comment permalinks, the htmx vote, reply
and quote fragments, the reply and edit pages, the report page, the
moderation queues (reported, approved, removed), the reader's moderation
page, the moderation log, notifications, the profile, search results (for
the queries, and for words of the payloads, whose snippets quote them),
sign-up, the front and section pages, the admin's article list and forms,
and the editor's preview. Feeds are not HTML and are left to
tests/security/test_xss_corpus.py.

`-s` prints, per test, what was posted per field and the pages checked.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.security.payloads import HOOKED_PAYLOADS, PAYLOADS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOOK = """
(() => {
  const report = (kind, args) => {
    const detail = kind + "(" + Array.from(args, String).join(", ") + ") on "
      + location.pathname + location.search;
    try { window.__xss.push(detail); } catch (error) {}
    try { window.__tribuneXssReport(detail); } catch (error) {}
  };
  window.__xss = [];
  for (const name of ["__pwned", "__xss__"]) {
    Object.defineProperty(window, name, {
      value: function () { report(name, arguments); },
      writable: false,
      configurable: false,
    });
  }
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function () { report(name, arguments); };
  }
})();
"""

DOM_WALK = """
() => {
  const problems = [];
  const urlAttributes = new Set([
    "href", "src", "action", "formaction", "xlink:href", "data", "poster",
    "background", "cite", "srcset", "dynsrc", "lowsrc", "codebase",
  ]);
  const forbidden = new Set([
    "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet",
    "base",
  ]);
  const badSchemes = ["javascript:", "vbscript:", "data:"];
  const scheme = (value) => {
    try {
      return new URL(value, document.baseURI).protocol;
    } catch (error) {
      // Not a URL at all: what a lenient reader of it would take for one.
      return value.replace(/[\\x00-\\x20]/g, "").toLowerCase().split(":")[0] + ":";
    }
  };
  const show = (element) => element.outerHTML.slice(0, 160);
  let count = 0;
  const walk = (root) => {
    for (const element of root.querySelectorAll("*")) {
      count += 1;
      const tag = element.localName;
      if (forbidden.has(tag)) problems.push("<" + tag + ">: " + show(element));
      if (element.namespaceURI !== "http://www.w3.org/1999/xhtml") {
        problems.push("foreign element: " + show(element));
      }
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith("on")) {
          problems.push(name + " attribute: " + show(element));
        }
        if (name === "style" || name === "srcdoc") {
          problems.push(name + " attribute: " + show(element));
        }
        if (urlAttributes.has(name) || name.endsWith(":href")) {
          const values = name === "srcset"
            ? attribute.value.split(",").map((part) => part.trim().split(/\\s+/)[0])
            : [attribute.value];
          for (const value of values) {
            if (badSchemes.includes(scheme(value))) {
              problems.push(name + "=" + scheme(value) + " URL: " + show(element));
            }
          }
        }
      }
      // What the browser resolved, in case an attribute said it differently.
      for (const property of ["href", "src", "action", "formAction", "data"]) {
        const value = element[property];
        if (typeof value !== "string" || !value) continue;
        const resolved = scheme(value);
        if (badSchemes.includes(resolved)) {
          problems.push(property + " resolves to " + resolved + ": " + show(element));
        }
      }
      if (tag === "script") {
        const type = (element.getAttribute("type") || "").toLowerCase();
        const data = type === "application/json" || type === "application/ld+json";
        let own = false;
        if (element.hasAttribute("src")) {
          const url = new URL(element.src, document.baseURI);
          own = url.origin === location.origin && url.pathname.startsWith("/static/");
        }
        if (!data && !own) problems.push("script: " + show(element));
      }
      if (tag === "meta" && element.hasAttribute("http-equiv")) {
        problems.push("meta http-equiv: " + show(element));
      }
      if (tag === "template") walk(element.content);
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  return {problems, count};
}
"""


def _sent_length(text: str) -> int:
    """The length the server sees: browsers send each line break as CR LF."""
    return len(text) + text.count("\n")


def _batches(payloads, limit: int, joiner: str = "\n\n") -> list[str]:
    """The payloads joined into texts of at most `limit` characters as sent."""
    texts, current = [], ""
    for payload in payloads:
        candidate = f"{current}{joiner}{payload}" if current else payload
        if _sent_length(candidate) > limit and current:
            texts.append(current)
            candidate = payload
        current = candidate
    texts.append(current)
    assert all(_sent_length(text) <= limit for text in texts)
    return texts


def _typed(payloads) -> list[str]:
    """The forms refuse NUL (Django's ProhibitNullCharactersValidator)."""
    return [payload.replace("\x00", "") for payload in payloads]


@dataclass
class Recorder:
    """Calls of the hooks, dialogs and DOM problems across all pages."""

    new_page: object
    calls: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    elements: int = 0
    watched: list = field(default_factory=list)
    # What a page shows before any hostile text exists: Django admin's own
    # icons (inline SVG) and its translation catalogue (/admin/jsi18n/).
    own: set[str] = field(default_factory=set)

    def open(self, *, hook: bool = True):
        """A fresh context that ignores the CSP, with the hooks and the trap."""
        watched = self.new_page(bypass_csp=True)
        self.watched.append(watched)
        page = watched.page
        page.expose_binding(
            "__tribuneXssReport", lambda source, detail: self.calls.append(detail)
        )
        if hook:
            page.add_init_script(HOOK)

        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    def check(self, page, where: str = "", *, strict: bool = True) -> None:
        """Walk the DOM of the page as it is now; fail at the first hole."""
        page.wait_for_load_state("load")
        # Handlers such as onfocus and ontoggle fire in later tasks (the
        # binding still reports them if they run after this).
        page.wait_for_timeout(10)
        result = page.evaluate(DOM_WALK)
        parts = urlsplit(page.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        label = f"{where} ({path})" if where else path
        self.checked.append(parts.path)
        self.elements += result["count"]
        found = [
            f"{label}: {problem}"
            for problem in result["problems"]
            if problem not in self.own
        ]
        self.problems += found
        # The page's own record, should the binding have been silenced.
        ran = [f"{label}: {call}" for call in page.evaluate("window.__xss || []")]
        if strict:
            assert found == [] and ran == [], "\n".join(found[:40] + ran)
            assert self.calls == [] and self.dialogs == [], self.calls + self.dialogs

    def learn_own(self, page, url: str) -> None:
        """Take what `url` shows while no hostile text exists as the page's own."""
        page.goto(url)
        page.wait_for_load_state("load")
        self.own.update(page.evaluate(DOM_WALK)["problems"])

    def visit(self, page, url: str) -> None:
        response = page.goto(url)
        assert response.ok, f"{response.status} for {url}"
        self.check(page)

    def assert_nothing_ran(self) -> None:
        assert self.calls == []
        assert self.dialogs == []
        assert self.problems == [], "\n".join(self.problems[:40])
        for watched in self.watched:
            # Page errors would be a payload's script failing half-way. An
            # article may show images from elsewhere (example.org in the
            # corpus), which a closed network cannot resolve: not a fault.
            faults = [
                problem
                for problem in watched.problems
                if "net::ERR_NAME_NOT_RESOLVED" not in problem
            ]
            assert faults == [], "\n".join(faults)

    def summary(self, name: str, posted: dict[str, int]) -> str:
        fields = ", ".join(f"{key} {value}" for key, value in posted.items())
        return (
            f"\n{name}: posted {fields}; {len(self.checked)} page states checked "
            f"on {len(set(self.checked))} paths, {self.elements} elements walked, "
            f"{len(self.calls)} executions, {len(self.dialogs)} dialogs, "
            f"{len(self.problems)} DOM problems"
        )


@pytest.fixture
def xss(new_page):
    return Recorder(new_page)


@pytest.fixture
def relaxed(settings):
    """Limits that would stop one reader posting the whole corpus at once."""
    settings.TRIBUNE_COMMENT_MIN_INTERVAL = 0
    settings.TRIBUNE_COMMENTS_PER_HOUR = 100_000
    settings.TRIBUNE_DUPLICATE_WINDOW = 0
    settings.TRIBUNE_LINKS_MIN_TRUST = 0
    settings.TRIBUNE_SIGNUPS_PER_ADDRESS_PER_HOUR = 10_000
    settings.ARTICLES_PER_PAGE = 200
    return settings


def _comment_item(page, number: str):
    return page.locator("li#c" + number.replace(".", "\\.")).locator("> article")


def test_the_hooks_and_the_walk_see_what_they_look_for(xss, live_server, section):
    """The control: markup that runs is seen by the hook, the walk and the trap."""
    page = xss.open()
    page.goto("/")
    xss.check(page)
    assert xss.calls == xss.problems == []
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
          '<img src="/nowhere.png" onerror="window.__pwned(5)">'
          + '<a href=" &#14; jav&#x09;ascript:void(0)">x</a><svg></svg>'
          + '<form action="vbscript:x"></form><p style="color: red">x</p>')"""
    )
    page.evaluate("() => { setTimeout(() => alert('hello'), 0); }")
    page.wait_for_timeout(200)
    xss.check(page, "control", strict=False)
    assert any(call.startswith("__pwned(5) on /") for call in xss.calls), xss.calls
    assert any(call.startswith("alert(hello)") for call in xss.calls), xss.calls
    found = "\n".join(xss.problems)
    for expected in (
        "onerror attribute",
        "href=javascript: URL",
        "<svg>",
        "action=vbscript: URL",
        "style attribute",
    ):
        assert expected in found, (expected, found)
    # Without the hooks, a dialog is trapped.
    bare = xss.open(hook=False)
    bare.goto("/")
    bare.evaluate("() => { setTimeout(() => confirm('sure?'), 0); }")
    bare.wait_for_timeout(200)
    assert xss.dialogs == [f"confirm: sure? on {live_server.url}/"]


def test_it_runs_nothing_from_comments_reports_and_replies(
    xss, sign_in, article, alice, bob, maude, relaxed
):
    from discussion import actions as discussion
    from discussion.models import Comment

    # Created directly: one comment per payload, as bob.
    for payload in PAYLOADS:
        discussion.post_comment(article=article, author=bob, body=payload)
    url = article.get_absolute_url()
    posted: dict[str, int] = {}

    # alice posts the hooked corpus, 15 payloads to a comment, through the form.
    reader = xss.open()
    sign_in(reader, "alice", next_url=url)
    hooked = _typed(HOOKED_PAYLOADS)
    bodies = ["\n\n".join(hooked[i : i + 15]) for i in range(0, len(hooked), 15)]
    reader.goto(url)
    for body in bodies:
        # Each post lands on the article page again, form and all.
        form = reader.locator("#comment-form form.comment-form")
        form.locator("textarea").fill(body)
        form.get_by_role("button", name="Post comment").click()
        reader.wait_for_load_state()
        assert "/comments/" not in reader.url, "the post was refused"
        xss.check(reader, "article page after posting")
    # The text is there, shown as text (Markdown may take "__" for bold).
    expect(reader.locator("#comments")).to_contain_text("onerror=window.")
    posted["comment"] = len(hooked)
    mine = list(Comment.objects.filter(author=alice).order_by("pk"))
    assert len(mine) == len(bodies)
    assert [c.body for c in mine] == bodies

    # Both parts of the thread, anonymous and signed in, and permalinks
    # (each lands on the part that holds the comment).
    visitor = xss.open()
    for page in (visitor, reader):
        xss.visit(page, url)
        page.get_by_role("link", name="Show more comments").click()
        xss.check(page, "thread part 2")
        expect(page.locator("#comments")).to_contain_text(re.compile(r"pwned\(114\)"))
    for comment in mine[::4]:
        xss.visit(reader, f"{url}comments/{comment.number}/")

    # htmx: the inline reply and quote forms under bob's and alice's comments.
    first_bob = Comment.objects.filter(author=bob).order_by("pk").first()
    xss.visit(reader, url)
    item = _comment_item(reader, first_bob.number)
    # A vote, swapped in by htmx.
    item.locator(".vote button").first.click()
    expect(item.locator(".vote .score")).to_have_text("+1")
    xss.check(reader, "htmx vote")
    item.get_by_role("link", name="Reply", exact=True).click()
    expect(item.locator("form.reply-form")).to_be_visible()
    assert reader.url.endswith(url), "the reply form came as a new page"
    xss.check(reader, "htmx reply form")
    item.get_by_role("link", name="Quote", exact=True).click()
    expect(item.locator("form.reply-form textarea")).not_to_have_value("")
    xss.check(reader, "htmx quote form")
    # alice quotes bob's first comment and posts the quote (htmx form).
    item.locator("form.reply-form").get_by_role("button", name="Post reply").click()
    reader.wait_for_load_state()
    xss.check(reader, "article after a quoting reply")
    assert Comment.objects.filter(author=alice, parent=first_bob).exists()
    posted["quote (htmx)"] = 1
    # Quotes of alice's batch comments: the non-htmx reply page.
    for comment in mine[:3]:
        xss.visit(reader, f"{url}comments/{comment.number}/reply/?quote=1")
        expect(reader.locator("form.reply-form textarea")).to_have_value(
            re.compile("__pwned")
        )
    xss.visit(reader, f"/comments/{mine[0].pk}/edit/")

    # bob replies to alice's first comment (htmx form), and reports each of
    # her comments with details that carry the corpus.
    reporter = xss.open()
    sign_in(reporter, "bob", next_url=url)
    xss.visit(reporter, f"{url}comments/{mine[0].number}/")
    item = _comment_item(reporter, mine[0].number)
    item.get_by_role("link", name="Reply", exact=True).click()
    item.locator("form.reply-form textarea").fill(bodies[1])
    item.locator("form.reply-form").get_by_role("button", name="Post reply").click()
    reporter.wait_for_load_state()
    xss.check(reporter, "article after bob's reply")
    assert Comment.objects.filter(author=bob, parent=mine[0]).exists()
    details = _batches(hooked, 1000, joiner=" ")
    assert len(details) <= len(mine)
    for comment, detail in zip(mine, details, strict=False):
        xss.visit(reporter, f"/comments/{comment.pk}/report/")
        reporter.get_by_role("radio", name="Something else").check()
        reporter.get_by_label(re.compile("^Details")).fill(detail)
        reporter.get_by_role("button", name="Send report").click()
        reporter.wait_for_load_state()
        expect(reporter.locator(".messages")).to_contain_text("reported")
        xss.check(reporter, "article after a report")
    posted["report detail"] = len(hooked)

    # maude reads the queues, alice's moderation page and the log.
    moderator = xss.open()
    sign_in(moderator, "maude", next_url="/moderation/")
    xss.check(moderator, "moderation queue")
    assert moderator.locator(".mod-item").count() == len(details)
    expect(moderator.locator(".mod-queue")).to_contain_text(re.compile(r"pwned\(116\)"))
    # ... removes one of them with the corpus's opening as the reason ...
    moderator.locator(".mod-select input").first.check()
    reason = _batches(hooked, 500, joiner=" ")[0]
    moderator.locator("#bulk-form input[name=reason_text]").fill(reason)
    moderator.locator("#bulk-form button[value=remove]").click()
    moderator.wait_for_load_state()
    xss.check(moderator, "moderation queue after a removal")
    posted["removal reason"] = reason.count("__pwned(")
    for page_number in (1, 2, 3):
        xss.visit(moderator, f"/moderation/queue/approved/?page={page_number}")
    xss.visit(moderator, "/moderation/queue/removed/")
    xss.visit(moderator, f"/moderation/readers/{alice.pk}/")
    xss.visit(moderator, "/moderation/log/")
    expect(moderator.locator("main")).to_contain_text(reason[:40])

    # alice's notifications (bob replied) and the search results that
    # quote the comments in their snippets.
    xss.visit(reader, "/notifications/")
    expect(reader.locator(".notification")).not_to_have_count(0)
    # Words both backends find ("pwned" is not one: PostgreSQL's parser reads
    # "window.__pwned" as a single token).
    for word in ("onerror", "javascript", "script", "click", "svg", "onmouseover"):
        box = visitor.locator("#site-search-q")
        xss.visit(visitor, "/")
        box.fill(word)
        box.press("Enter")
        visitor.wait_for_load_state()
        expect(visitor.locator(".search-count")).to_contain_text("results")
        xss.check(visitor, f"search {word}")

    print(xss.summary("comments", posted))
    xss.assert_nothing_ran()


def test_it_runs_nothing_from_profiles_warnings_searches_and_sign_up(
    xss, sign_in, alice, maude, relaxed
):
    posted: dict[str, int] = {}
    hooked = _typed(HOOKED_PAYLOADS)

    # alice's profile: the corpus in "About me", the short ones as location.
    reader = xss.open()
    sign_in(reader, "alice", next_url="/accounts/profile/")
    bios = _batches(hooked, 2000)
    locations = [payload for payload in hooked if len(payload) <= 100][::10]
    for index in range(max(len(bios), len(locations))):
        xss.visit(reader, "/accounts/profile/")
        form = reader.locator("form.account-form")
        if index < len(bios):
            form.get_by_label("About me").fill(bios[index])
        if index < len(locations):
            form.get_by_label("Location").fill(locations[index])
        # What a one-line input made of the line breaks typed into it.
        typed = form.get_by_label("Location").input_value()
        form.get_by_role("button", name="Save").click()
        reader.wait_for_load_state()
        expect(reader.locator(".messages")).to_contain_text("saved")
        assert reader.url.endswith(f"/accounts/readers/{alice.username}/")
        xss.check(reader, "profile page")
        if index < len(bios):
            expect(reader.locator(".profile-bio")).to_contain_text(
                re.compile(r"pwned\(\d+\)")
            )
        alice.refresh_from_db()
        assert alice.location == typed.strip()
    posted["about me"] = len(hooked)
    posted["location"] = len(locations)

    # maude warns alice with the corpus; both read it back.
    moderator = xss.open()
    sign_in(moderator, "maude", next_url=f"/moderation/readers/{alice.pk}/")
    warnings = _batches(hooked, 1000, joiner="\n")
    for text in warnings:
        form = moderator.locator("#reader-form")
        form.get_by_label("Reason or note").fill(text)
        form.get_by_role("button", name="Warn").click()
        moderator.wait_for_load_state()
        expect(moderator.locator(".messages")).to_contain_text("done")
        xss.check(moderator, "reader page after a warning")
    posted["warning"] = len(hooked)
    xss.visit(moderator, "/moderation/log/")
    xss.visit(reader, "/notifications/")
    expect(reader.locator(".notification")).to_have_count(len(warnings))
    expect(reader.locator(".notifications")).to_contain_text(
        re.compile(r"pwned\(116\)")
    )

    # Every payload typed into the header's search box, as many to a query
    # as its 200 characters take.
    visitor = xss.open()
    xss.visit(visitor, "/search/")
    for query in _batches([p.replace("\n", " ") for p in hooked], 200, " "):
        box = visitor.locator("#site-search-q")
        box.fill(query)
        box.press("Enter")
        visitor.wait_for_load_state()
        expect(visitor.locator("#site-search-q")).to_have_value(query)
        xss.check(visitor, "search results")
    posted["search"] = len(hooked)

    # Usernames at sign-up: refused, shown back escaped.
    samples = [p for p in hooked if len(p) <= 150][::10]
    xss.visit(visitor, "/accounts/signup/")
    for payload in samples:
        # The refused form comes back with the name in it: type over it.
        form = visitor.locator("form.account-form")
        form.get_by_label("Username").fill(payload)
        form.get_by_label("Email address").fill("new@example.org")
        form.locator("#id_password1").fill("a long enough passphrase 1")
        form.locator("#id_password2").fill("a long enough passphrase 1")
        form.get_by_role("button", name="Create account").click()
        visitor.wait_for_load_state()
        expect(visitor.locator(".has-error")).not_to_have_count(0)
        xss.check(visitor, "sign-up refused")
    posted["username"] = len(samples)

    print(xss.summary("profiles", posted))
    xss.assert_nothing_ran()


def test_it_runs_nothing_an_editor_writes(
    xss, sign_in, section, article, eddie, alice, bob, relaxed
):
    from django.utils import timezone

    from discussion import actions as discussion
    from newsroom.models import Article

    posted: dict[str, int] = {}
    hooked = _typed(HOOKED_PAYLOADS)

    # The admin's own markup, learnt while only a harmless article exists.
    editor = xss.open()
    sign_in(editor, "eddie", next_url="/admin/")
    for path in ("add/", "", f"{article.pk}/change/"):
        xss.learn_own(editor, f"/admin/newsroom/article/{path}")

    # Created directly: each payload as an article's title and lead.
    now = timezone.now()
    for number, payload in enumerate(_typed(PAYLOADS)):
        Article.objects.create(
            title=payload[:300],
            slug=f"direct-{number}",
            lead=payload,
            body="Body.",
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=now,
        )

    # eddie writes five articles in the admin: the corpus in leads and bodies,
    # attribute and element breakouts as titles.
    titles = [p for p in hooked if p.startswith(('"', "'", "</"))][::2][:5]
    chunk = -(-len(hooked) // len(titles))
    written = []
    for number, title in enumerate(titles):
        part = hooked[number * chunk : (number + 1) * chunk]
        xss.visit(editor, "/admin/newsroom/article/add/")
        # The slug first: once changed by hand the admin's script leaves it
        # alone when the title is typed.
        editor.locator("#id_slug").fill(f"hostile-{number}")
        editor.locator("#id_title").fill(title)
        expect(editor.locator("#id_slug")).to_have_value(f"hostile-{number}")
        editor.locator("#id_section").select_option(label=section.name)
        editor.locator("#id_lead").fill(" ".join(part))
        editor.locator("#id_body").fill("\n\n".join(part))
        editor.locator("#id_status").select_option("published")
        editor.locator("input[name=_save]").click()
        editor.wait_for_load_state()
        expect(editor.locator(".errornote")).to_have_count(0)
        xss.check(editor, "admin article list after saving")
        written.append(Article.objects.get(slug=f"hostile-{number}"))
    assert [hostile.title for hostile in written] == titles
    posted["article title"] = len(titles)
    posted["article lead and body"] = len(hooked)
    for hostile in written:
        xss.visit(editor, f"/admin/newsroom/article/{hostile.pk}/change/")
        xss.visit(editor, f"/articles/{hostile.slug}/preview/")

    # Readers see them; alice is told of bob's replies under their titles.
    for hostile in written:
        mine = discussion.post_comment(article=hostile, author=alice, body="Mine.")
        discussion.post_comment(article=hostile, author=bob, body="No.", parent=mine)
    visitor = xss.open()
    for hostile in written:
        xss.visit(visitor, hostile.get_absolute_url())
        expect(visitor.locator("h1")).to_have_text(hostile.title)
        expect(visitor.locator("main")).to_contain_text(re.compile(r"pwned\(\d+\)"))
    xss.visit(visitor, "/")
    xss.visit(visitor, section.get_absolute_url())
    # All of them on one page (ARTICLES_PER_PAGE is 200 here).
    expect(visitor.locator("main")).to_contain_text("onerror=window.__xss__(1)")
    expect(visitor.locator("main")).to_contain_text(re.compile(r"pwned\(116\)"))
    for word in ("onerror", "onmouseover", "script"):
        xss.visit(visitor, f"/search/?q={word}")
        expect(visitor.locator(".search-hit")).not_to_have_count(0)
    reader = xss.open()
    sign_in(reader, "alice", next_url="/notifications/")
    xss.check(reader, "notifications")
    expect(reader.locator(".notification")).to_have_count(len(written))

    print(xss.summary("articles", posted))
    xss.assert_nothing_ran()
