from io import StringIO

from django.contrib.auth import authenticate
from django.contrib.sites.models import Site
from django.core.management import call_command

from discussion.models import Comment
from newsroom.models import Article


def run_demo() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", "--port", "8123", stdout=out)
    return out.getvalue()


def test_it_sets_up_the_demo_and_can_run_again(db):
    out = run_demo()
    assert "http://127.0.0.1:8123/articles/proposal-for-joint-operations" in out
    for role, username, password in [
        ("reader", "reader", "demo-reader-pass"),
        ("editor", "editor", "demo-editor-pass"),
        ("moderator", "moderator", "demo-moderator-pass"),
    ]:
        assert f"{role:<10} {username} / {password}" in out
        assert authenticate(username=username, password=password) is not None
    editor = authenticate(username="editor", password="demo-editor-pass")
    assert editor.is_staff
    assert editor.has_perm("newsroom.change_article")
    moderator = authenticate(username="moderator", password="demo-moderator-pass")
    assert moderator.has_perm("discussion.moderate_comment")
    assert not moderator.is_staff
    assert Site.objects.get_current().name == "Military Review"

    run_demo()
    assert Article.objects.count() == 1
    assert Comment.objects.count() == 15
