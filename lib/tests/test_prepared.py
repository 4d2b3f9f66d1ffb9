"""lib.prepared: the ORM's queries and inserts, compiled once, give the ORM's
results."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from discussion.models import Comment
from lib.prepared import PreparedInsert, PreparedQuery
from newsroom.models import Article, SearchDocument

COMMENTS_OF = PreparedQuery(
    lambda article, status: Comment.objects.filter(
        article=article, status=status
    ).order_by("path"),
    article=-9_000_001,
    status="prepared:status",
)


def _comment(article, author, number, **extra):
    return Comment.objects.create(
        article=article,
        author=author,
        number=str(number),
        path=f"{number:04d}",
        body=f"comment {number}",
        created_at=timezone.now() - timedelta(minutes=number),
        **extra,
    )


def _fields(comment):
    return {
        field.attname: getattr(comment, field.attname)
        for field in Comment._meta.concrete_fields
    }


def test_instances_equal_the_querysets(article, alice, bob):
    _comment(article, alice, 1, emoticons=["smile"])
    _comment(article, bob, 2, status=Comment.Status.REMOVED)
    _comment(article, bob, 3)

    for status in (Comment.Status.PUBLISHED, Comment.Status.REMOVED, "none such"):
        expected = list(
            Comment.objects.filter(article=article, status=status).order_by("path")
        )
        found = COMMENTS_OF.instances(article=article.pk, status=status)
        assert [_fields(c) for c in found] == [_fields(c) for c in expected]
        assert all(not c._state.adding and c._state.db == "default" for c in found)
    # Values come through the ORM's converters: aware times, JSON as lists.
    first = COMMENTS_OF.first(article=article.pk, status=Comment.Status.PUBLISHED)
    assert first.created_at.tzinfo is not None
    assert first.emoticons == ["smile"]
    assert COMMENTS_OF.first(article=article.pk + 1, status="published") is None


def test_a_models_from_db_is_used(article):
    """Article.from_db remembers the loaded original; prepared loads must too."""
    query = PreparedQuery(
        lambda slug: Article.objects.filter(slug=slug), slug="prepared:x"
    )
    loaded = query.first(slug=article.slug)
    assert loaded == article
    assert loaded._loaded_translation_of_id is None
    assert "_loaded_translation_of_id" in loaded.__dict__


def test_rows_of_a_values_query(article, alice):
    _comment(article, alice, 1)
    query = PreparedQuery(
        lambda pk: Comment.objects.filter(article_id=pk).values_list(
            "number", "created_at"
        ),
        pk=-9_000_002,
    )
    [(number, created_at)] = query.rows(pk=article.pk)
    assert number == "1"
    assert created_at.tzinfo is not None
    with pytest.raises(TypeError, match="values, not model instances"):
        query.instances(pk=article.pk)


def test_each_run_is_one_counted_query(article, django_assert_num_queries):
    COMMENTS_OF.rows(article=article.pk, status="published")  # compiled here
    with django_assert_num_queries(1):
        COMMENTS_OF.rows(article=article.pk, status="published")


def test_the_arguments_must_be_the_examples(article):
    with pytest.raises(TypeError, match="expected the arguments"):
        COMMENTS_OF.rows(article=article.pk)


@pytest.mark.django_db
def test_a_lookup_that_changes_its_value_is_refused():
    """contains wraps the value in % signs: running the query with the value
    as given would be wrong, so it is refused when compiled."""
    query = PreparedQuery(
        lambda slug: Article.objects.filter(slug__contains=slug), slug="prepared:slug"
    )
    with pytest.raises(ValueError, match="does not carry these examples"):
        query.rows(slug="x")


def test_iexact_is_refused_where_it_escapes_and_exact_elsewhere(article):
    """SQLite compares with LIKE and escapes % and _ in the value: refused.
    PostgreSQL compares UPPER() of both sides, the value as given."""
    article.title = "Up 50%_now"
    article.save()
    query = PreparedQuery(
        lambda title: Article.objects.filter(title__iexact=title).values_list("pk"),
        title="prepared:title",
    )
    try:
        found = query.rows(title="UP 50%_NOW")
    except ValueError:
        assert connection.vendor == "sqlite"
        return
    assert found == [(article.pk,)]
    assert query.rows(title="UP 50xxNOW") == []


@pytest.mark.django_db
def test_related_objects_are_refused():
    query = PreparedQuery(
        lambda slug: Article.objects.select_related("section").filter(slug=slug),
        slug="prepared:slug",
    )
    with pytest.raises(ValueError, match="select_related"):
        query.first(slug="x")


def test_examples_are_ints_or_strings():
    with pytest.raises(TypeError, match="int or str"):
        PreparedQuery(
            lambda when: Comment.objects.filter(created_at=when), when=timezone.now()
        )


# --- inserts -----------------------------------------------------------------

INSERT_COMMENT = PreparedInsert(Comment)


def test_an_insert_stores_what_save_would(article, alice, django_assert_num_queries):
    signals = []

    def seen(sender, instance, **kwargs):
        signals.append(
            (kwargs.get("created"), instance.pk, kwargs["raw"], kwargs["update_fields"])
        )

    now = timezone.now()
    pre_save.connect(seen, sender=Comment)
    post_save.connect(seen, sender=Comment)
    try:
        prepared = Comment(
            article=article,
            author=alice,
            number="1",
            path="0001",
            body="Prepared *text*",
            created_at=now,
            emoticons=["wink"],
        )
        INSERT_COMMENT.save(prepared)
    finally:
        pre_save.disconnect(seen, sender=Comment)
        post_save.disconnect(seen, sender=Comment)
    # pre_save before the key, post_save after it, created (no raw, no fields).
    assert signals == [(None, None, False, None), (True, prepared.pk, False, None)]
    assert prepared.pk is not None
    assert not prepared._state.adding and prepared._state.db == "default"
    stored = Comment.objects.get(pk=prepared.pk)
    assert _fields(stored) == _fields(prepared)
    assert stored.emoticons == ["wink"] and stored.created_at == now

    # Its post_save indexed it for search, as for a comment saved by the ORM.
    assert SearchDocument.objects.filter(comment=stored).exists()
    with django_assert_num_queries(2):  # the comment and its search document
        INSERT_COMMENT.save(
            Comment(
                article=article,
                author=alice,
                number="2",
                path="0002",
                body="x",
                created_at=now,
            )
        )


def test_stored_objects_and_other_models_are_refused(article, alice):
    stored = _comment(article, alice, 1)
    with pytest.raises(ValueError, match="only new objects"):
        INSERT_COMMENT.save(stored)
    with pytest.raises(TypeError, match="expected a Comment"):
        INSERT_COMMENT.save(article)


def test_a_model_with_its_own_save_is_refused():
    with pytest.raises(TypeError, match="has its own save"):
        PreparedInsert(Article)


def test_a_failed_insert_raises_and_leaves_the_object_new(article, alice):
    from django.db import IntegrityError, transaction

    _comment(article, alice, 1, client_token="same")
    again = Comment(
        article=article,
        author=alice,
        number="2",
        path="0002",
        body="x",
        created_at=timezone.now(),
        client_token="same",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        INSERT_COMMENT.save(again)
    assert again.pk is None and again._state.adding
