"""Memory and time of `tribune import` on large WordPress and Disqus exports.

    uv run --frozen python -m bench.import_memory [--sizes 10,100] [--keep]

Writes deterministic exports of about 10 MB and 100 MB of each format into
bench/.work/ (600 articles' worth of threaded comments per 100 MB, Cyrillic
and Latin text, a tenth of the comments quoting the article, some spam,
pending and deleted comments and pingbacks). Each file is imported by a
fresh process into a throwaway SQLite database (migrated first), which
reports its peak resident memory (getrusage ru_maxrss) and the time taken.
A process that only migrates gives the baseline. If memory were proportional
to the file, the 100 MB import would need about ten times the 10 MB one's
memory above the baseline; bounded, it needs about the same.

Figures go to stdout and bench/results/import_memory.json. The exports are
kept for the next run unless their size changes (delete bench/.work/ to
regenerate).
"""

# ruff: noqa: S311, S603 - seeded data, not secrets; runs this module as a child

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results" / "import_memory.json"
SEED = 20160525
MB = 1024 * 1024
COMMENTS_PER_ARTICLE = 200

WORDS = """
армия флот Сирия партнёры переговоры операция союзники граница полк бригада
доктрина ракета логистика снабжение разведка штаб манёвр the army talks partners
border logistics doctrine brigade supply intelligence headquarters manoeuvre
coalition ceasefire
""".split()  # noqa: SIM905 - a word list reads best as words


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _article(rng: random.Random) -> list[str]:
    return [_sentence(rng, rng.randint(12, 30)) for _ in range(6)]


def _comment_html(rng: random.Random, article: list[str]) -> str:
    paragraphs = [_sentence(rng, rng.randint(8, 40)) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.1:
        paragraphs.insert(0, f"<blockquote>{escape(rng.choice(article))}</blockquote>")
    return "\n\n".join(paragraphs)


def _threads(rng: random.Random):
    """(article paragraphs, [(id, parent, minutes, state, author, html)])"""
    next_id = 1
    while True:
        article = _article(rng)
        comments = []
        ids: list[int] = []
        for n in range(COMMENTS_PER_ARTICLE):
            parent = rng.choice(ids) if ids and rng.random() < 0.6 else 0
            roll = rng.random()
            state = (
                "spam"
                if roll < 0.03
                else "pending"
                if roll < 0.05
                else "deleted"
                if roll < 0.08
                else "pingback"
                if roll < 0.09
                else "ok"
            )
            # Most comments come from a few hundred regulars.
            regular = rng.random() < 0.8
            author = f"Читатель {rng.randint(1, 300 if regular else 20000)}"
            comments.append(
                (next_id, parent, n * 7, state, author, _comment_html(rng, article))
            )
            ids.append(next_id)
            next_id += 1
        yield article, comments


def write_wxr(path: Path, size: int) -> None:
    rng = random.Random(SEED)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench</title><link>https://bench.example</link>\n"
        )
        for number, (article, comments) in enumerate(_threads(rng), start=1):
            if out.tell() >= size:
                break
            day = start + timedelta(hours=number)
            out.write(
                f"<item><title>Статья {number}</title>"
                f"<link>https://bench.example/{number}/</link>"
                "<dc:creator>editor</dc:creator>"
                f"<content:encoded><![CDATA[{chr(10).join(article)}]]>"
                "</content:encoded>"
                f"<wp:post_id>{number}</wp:post_id>"
                f"<wp:post_date>{day:%Y-%m-%d %H:%M:%S}</wp:post_date>"
                f"<wp:post_date_gmt>{day:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
                f"<wp:post_name>statya-{number}</wp:post_name>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
            )
            for cid, parent, minutes, state, author, html in comments:
                when = day + timedelta(minutes=minutes)
                approved = {"spam": "spam", "pending": "0", "deleted": "trash"}.get(
                    state, "1"
                )
                kind = "pingback" if state == "pingback" else "comment"
                out.write(
                    f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
                    f"<wp:comment_author>{escape(author)}</wp:comment_author>"
                    f"<wp:comment_author_email>r{author[9:]}@example.org"
                    "</wp:comment_author_email>"
                    f"<wp:comment_date>{when + timedelta(hours=3):%Y-%m-%d %H:%M:%S}"
                    "</wp:comment_date>"
                    f"<wp:comment_date_gmt>{when:%Y-%m-%d %H:%M:%S}"
                    "</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{html}]]></wp:comment_content>"
                    f"<wp:comment_approved>{approved}</wp:comment_approved>"
                    f"<wp:comment_type>{kind}</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    "</wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def write_disqus(path: Path, size: int) -> None:
    """Threads first, then every post in time order, as Disqus writes them;
    the threads are the WordPress export's articles."""
    rng = random.Random(SEED)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    # The thread count is known only once the posts are written: posts go
    # to a side file first (the generator is not what is measured).
    posts = path.with_suffix(".posts")
    threads = 0
    with posts.open("w", encoding="utf-8") as out:
        for number, (_, comments) in enumerate(_threads(rng), start=1):
            if out.tell() >= size:
                break
            threads = number
            day = start + timedelta(hours=number)
            for cid, parent, minutes, state, author, html in comments:
                when = day + timedelta(minutes=minutes)
                parent_tag = f'<parent dsq:id="{parent}"/>' if parent else ""
                out.write(
                    f'<post dsq:id="{cid}"><id/>'
                    f"<message><![CDATA[{html}]]></message>"
                    f"<createdAt>{when:%Y-%m-%dT%H:%M:%SZ}</createdAt>"
                    f"<isDeleted>{str(state == 'deleted').lower()}</isDeleted>"
                    f"<isSpam>{str(state == 'spam').lower()}</isSpam>"
                    f"<isApproved>{str(state != 'pending').lower()}</isApproved>"
                    f"<author><email>r{author[9:]}@example.org</email>"
                    f"<name>{escape(author)}</name><isAnonymous>false</isAnonymous>"
                    f"<username>reader{author[9:]}</username></author>"
                    f'<thread dsq:id="{number}"/>{parent_tag}</post>\n'
                )
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<disqus '
            'xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for number in range(1, threads + 1):
            out.write(
                f'<thread dsq:id="{number}"><id>{number}</id><forum>bench</forum>'
                f"<link>https://bench.example/{number}/</link>"
                f"<title>Статья {number}</title>"
                f"<createdAt>2016-01-01T00:00:00Z</createdAt>"
                "<isDeleted>false</isDeleted></thread>\n"
            )
        with posts.open(encoding="utf-8") as side:
            while chunk := side.read(MB):
                out.write(chunk)
        out.write("</disqus>\n")
    posts.unlink()


def _export(kind: str, megabytes: int) -> Path:
    path = WORK / f"{kind}-{megabytes}mb.xml"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        (write_wxr if kind == "wxr" else write_disqus)(path, megabytes * MB)
        print(
            f"  wrote {path.relative_to(ROOT)} ({path.stat().st_size / MB:.1f} MB) "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return path


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / MB, 1)


def child(args: list[str]) -> None:
    """In a fresh process: migrate, then import (unless no file is given)."""
    import resource

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    out = {"baseline": True}
    if args:
        path, fmt, *extra = args
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                samples.append(_current_rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        started = time.perf_counter()
        sampler.start()
        sink = open(os.devnull, "w")  # noqa: SIM115 - closed with the process
        call_command("import", path, "--format", fmt, "--json", *extra, stdout=sink)
        done.set()
        sampler.join()
        out = {
            "seconds": round(time.perf_counter() - started, 1),
            "rss_before_import_mb": round(rss_before / 1024, 1),
            # Resident memory at each tenth of the import's duration: flat
            # once the bounded caches (quote matching, commenters) are full.
            "rss_by_tenth_mb": [
                samples[min(len(samples) - 1, len(samples) * n // 10)]
                for n in range(1, 11)
            ]
            if samples
            else [],
        }
        from discussion.models import Comment

        out["comments"] = Comment.objects.count()
    out["peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    print(json.dumps(out))


def _run(*args: str, database: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tribune.settings",
        SQLITE_PATH=str(database),
        DEBUG="0",  # with DEBUG on, Django keeps the last 9,000 queries
        TRIBUNE_SECRET_KEY="bench-only-" + "x" * 40,
        LOG_LEVEL="WARNING",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bench.import_memory", "--child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100", help="MB, comma-separated")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    results: dict = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="tribune-import-bench-") as folder:
        folder = Path(folder)
        baseline = _run(database=folder / "baseline.sqlite3")
        results["baseline_rss_mb"] = baseline["peak_rss_mb"]
        print(f"baseline (Django set up, migrated): {baseline['peak_rss_mb']} MB")
        for megabytes in sizes:
            wxr = _export("wxr", megabytes)
            disqus = _export("disqus", megabytes)
            for kind, path, extra in (
                ("wxr", wxr, ()),
                # A fresh database has no articles; drafts take the threads.
                ("disqus", disqus, ("--create-missing",)),
            ):
                database = folder / f"{kind}-{megabytes}.sqlite3"
                figures = _run(str(path), kind, *extra, database=database)
                figures.update(format=kind, file_mb=round(path.stat().st_size / MB, 1))
                results["runs"].append(figures)
                print(
                    f"{kind:6} {figures['file_mb']:6.1f} MB: peak RSS "
                    f"{figures['peak_rss_mb']} MB, {figures['seconds']} s, "
                    f"{figures['comments']} comments in the database; RSS by "
                    f"tenths of the run: {figures['rss_by_tenth_mb']}",
                    flush=True,
                )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
