"""The exports bench.import_memory generates are ones the importer takes."""

from io import StringIO

from django.core.management import call_command

from bench.import_memory import write_disqus, write_wxr
from discussion.models import Comment
from newsroom.models import Article


def test_it_writes_exports_the_importer_reads_whole(db, tmp_path):
    wxr = tmp_path / "bench.xml"
    disqus = tmp_path / "disqus.xml"
    write_wxr(wxr, 100_000)
    write_disqus(disqus, 100_000)
    assert 100_000 <= wxr.stat().st_size < 400_000  # whole articles: ~250 KB each
    call_command("import", str(wxr), "--format", "wxr", stdout=StringIO())
    articles = Article.objects.count()
    wordpress = Comment.objects.count()
    assert articles >= 1
    assert wordpress > 50
    # The Disqus threads are the same articles, at the same addresses.
    call_command(
        "import", str(disqus), "--format", "disqus", "--json", stdout=StringIO()
    )
    assert Article.objects.count() == articles
    assert Comment.objects.count() > wordpress
