"""The same form sent twice at once to a real server: one comment, one answer.

Both submissions of a double click reach `tribune serve` together, with the
site's own posting limits (a comment every 20 s, the same text refused for an
hour). Each of four writers sends their form twice at once, through the
article page's form or the API: both answers must be the comment's, with the
same number, and the database must hold it once.
"""

import asyncio
import contextlib
import json
import os

import pytest

from bench import load
from tests.servers import scratch_database

DATABASE_URL = os.environ.get("DATABASE_URL", "")
WRITERS = 4


@pytest.fixture
def server(tmp_path):
    with contextlib.ExitStack() as stack:
        url = None
        if DATABASE_URL.startswith("postgres"):
            url = stack.enter_context(scratch_database(DATABASE_URL))
        env = load.server_env(tmp_path, url, None)
        # The site's own limits, not the load test's lifted ones.
        for name in load.LIMITS_LIFTED:
            env.pop(name)
        seed = tmp_path / "seed.json"
        load._python(
            (["-m", "tribune.cli", "collectstatic", "--noinput", "-v0"], "static"),
            (["-m", "bench.load", "_seed", str(seed), str(WRITERS), "1", "10"], "seed"),
            env=env,
        )
        served = load.Server(env, load.servers.free_port(), tmp_path / "serve.log", 1)
        served.start()
        stack.callback(served.stop)
        if not load.run_async(load.healthy(served.port, 60)):
            pytest.fail(load.servers._tail(served.log))
        yield served, json.loads(seed.read_text()), env


async def _twins(port, writer, slug, via) -> tuple[list, dict]:
    """Send one writer's comment twice at once; the answers and what was sent."""
    page_client = load.Client(port, {"sessionid": writer["sessionid"]})
    page = await page_client.request("GET", f"/articles/{slug}/")
    assert page.status == 200
    body = f"{writer['username']} sent this twice at once."
    if via == "api":
        path = f"/api/v1/articles/{slug}/comments"
        token = f"app-{writer['username']}"
        send = {
            "json_body": {"body": body, "client_token": token},
            "headers": {"Authorization": f"Bearer {writer['token']}"},
        }
    else:
        path = f"/articles/{slug}/comments/"
        token = load.hidden_field(page.text, "client_token")
        csrf = load.hidden_field(page.text, "csrfmiddlewaretoken")
        send = {
            "form": {"csrfmiddlewaretoken": csrf, "client_token": token, "body": body}
        }
    clients = [load.Client(port, page_client.cookies) for _ in range(2)]
    answers = await asyncio.gather(*(c.request("POST", path, **send) for c in clients))
    sent = {
        "author": writer["username"],
        "article": slug,
        "client_token": token,
        "body": body,
        "unanswered": 0,
        "number": None,
    }
    return [
        (r.status, load.acknowledgement(via, r) or r.text[:300]) for r in answers
    ], sent


def test_it_gives_both_submissions_of_a_double_click_the_one_comment(server):
    served, seed, env = server
    slug = seed["articles"][0]["slug"]
    submissions = []
    for index, writer in enumerate(seed["writers"]):
        via = "api" if index % 2 else "form"
        answers, sent = load.run_async(_twins(served.port, writer, slug, via))
        assert [status for status, _ in answers] == [
            201 if via == "api" else 302
        ] * 2, answers
        (first, _), (second, _) = (answer for _, answer in answers)
        assert first == second, answers  # one number for both
        submissions.append({**sent, "number": first})

    tmp = served.log.parent
    (tmp / "sent.json").write_text(json.dumps(submissions))
    load._python(
        (
            [
                *("-m", "bench.load", "_check"),
                *map(str, (tmp / "sent.json", tmp / "checked.json", "")),
            ],
            "checking the database",
        ),
        env=env,
    )
    figures = json.loads((tmp / "checked.json").read_text())
    assert figures["acknowledged"] == WRITERS
    broken = {name: figures[name] for name in load.BROKEN if name in figures}
    assert broken == dict.fromkeys(broken, 0), figures["examples"]
    assert len(broken) >= 10
