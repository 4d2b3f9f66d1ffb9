"""Queries built by the ORM once, then run as their SQL.

Building a query costs Django far more than running it costs the database:
loading one article by its slug took 0.25 ms in the ORM and 0.04 ms as the
same SQL on a cursor. Posting a comment asks a handful of such questions,
always of the same shape, so the hot ones are compiled once per database
connection alias and afterwards only executed:

    ARTICLE = PreparedQuery(lambda slug: Article.objects.filter(slug=slug),
                            slug="prepared:slug")
    article = ARTICLE.first(slug="some-article")

The queryset is built with the example values; each must be an int or a
str that the compiled parameters contain only where that argument goes
(choose one that appears nowhere else). The values given later take those
places. Lookups that transform their value (`contains`, `startswith`,
`iexact` on SQLite, which escapes % and _) leave the example unrecognisable
and are refused when compiled, instead of running with the wrong value:
string examples are compiled with those characters added to catch it.
Rows come back through the same converters the ORM applies; model
instances through `Model.from_db`, as a queryset makes them. Queries still
go through `connection.cursor()`, so they are counted and logged like the
ORM's.

`PreparedInsert` does the same for `save()` of a new object: the INSERT is
compiled once, and each save sends the same signals and runs the same field
hooks as `Model.save` does for an object that is not yet stored.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet, signals, sql
from django.db.models.query import ModelIterable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    # (position in params, argument name)
    slots: tuple[tuple[int, str], ...]
    # {column: (converters, expression)} as SQLCompiler.get_converters gives
    converters: dict
    model: type[Model] | None
    # Attribute names of the model's columns, in select order.
    attnames: tuple[str, ...]


def _convert(row, converters: dict, connection) -> tuple:
    """A row with each column through its converters, as the ORM applies them
    (SQLCompiler.apply_converters)."""
    row = list(row)
    for column, (functions, expression) in converters.items():
        value = row[column]
        for function in functions:
            value = function(value, expression, connection)
        row[column] = value
    return tuple(row)


# Added to string examples when compiling (see the module's docstring).
_PROBE = "%_\\"


class PreparedQuery:
    """A SELECT of a fixed shape whose parameters change from call to call."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        using: str = DEFAULT_DB_ALIAS,
        **examples: int | str,
    ):
        for name, example in examples.items():
            if type(example) not in (int, str):
                raise TypeError(f"{name}: examples must be int or str")
        self._build = build
        self._examples = examples
        self._using = using
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, **values: Any) -> list[tuple]:
        """Run the query; return its rows, each value as the ORM gives it."""
        compiled = self._compile()
        connection = connections[self._using]
        if set(values) != {name for _, name in compiled.slots}:
            raise TypeError(f"expected the arguments {sorted(self._examples)}")
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converters:
            return rows
        return [_convert(row, compiled.converters, connection) for row in rows]

    def instances(self, **values: Any) -> list[Model]:
        """Run a query of model instances; return them as a queryset would."""
        compiled = self._compile()
        if compiled.model is None:
            raise TypeError("this query selects values, not model instances")
        return [
            compiled.model.from_db(self._using, compiled.attnames, row)
            for row in self.rows(**values)
        ]

    def first(self, **values: Any) -> Model | None:
        """The first instance, or None. Order and limit are the queryset's."""
        found = self.instances(**values)
        return found[0] if found else None

    def _compile(self) -> _Compiled:
        compiled = self._compiled.get(self._using)
        if compiled is None:
            compiled = self._compiled[self._using] = self._build_compiled()
        return compiled

    def _build_compiled(self) -> _Compiled:
        # Strings carry characters that LIKE lookups escape, so that a lookup
        # which would change a value is caught even when the example itself
        # would pass through unchanged.
        examples = {
            name: example + _PROBE if isinstance(example, str) else example
            for name, example in self._examples.items()
        }
        queryset = self._build(**examples).using(self._using)
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        slots = []
        for position, param in enumerate(params):
            for name, example in examples.items():
                if type(param) is type(example) and param == example:
                    slots.append((position, name))
        missing = set(self._examples) - {name for _, name in slots}
        if missing:
            raise ValueError(
                f"{sorted(missing)}: the compiled query does not carry these "
                "examples as they were given (a lookup that changes its value?)"
            )
        model, attnames = None, ()
        klass_info = compiler.klass_info
        if queryset._iterable_class is ModelIterable:
            if (
                klass_info.get("related_klass_infos")
                or compiler.annotation_col_map
                or queryset._known_related_objects
            ):
                raise ValueError(
                    "select_related, annotations and known related objects "
                    "are not supported"
                )
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1]
            if (start, end + 1) != (0, len(compiler.select)):
                raise ValueError("the query selects more than the model's columns")
            model = klass_info["model"]
            attnames = tuple(column.target.attname for column, _, _ in compiler.select)
        converters = compiler.get_converters(
            [expression for expression, _, _ in compiler.select]
        )
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            converters=converters,
            model=model,
            attnames=attnames,
        )


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    fields: tuple
    returning_fields: tuple
    # Whether the INSERT has a RETURNING clause, and its parameters.
    returns: bool
    returning_params: tuple
    converters: dict


class PreparedInsert:
    """`obj.save()` for new objects of `model`, with the INSERT compiled once.

    For models without parents (multi-table inheritance) and without a
    `save()` of their own, which this would bypass. Objects must not have a
    primary key yet, and their values must be plain values, not expressions.
    """

    def __init__(self, model: type[Model], *, using: str = DEFAULT_DB_ALIAS):
        if model._meta.parents:
            raise TypeError(f"{model.__name__}: models with parents are not supported")
        if model.save is not Model.save or model.save_base is not Model.save_base:
            raise TypeError(f"{model.__name__} has its own save(): use it")
        self._model = model
        self._using = using
        self._compiled: dict[str, _CompiledInsert] = {}

    def save(self, obj: Model) -> Model:
        """Insert `obj` as `obj.save()` would; return it, with its primary key."""
        model, using = self._model, self._using
        if type(obj) is not model:
            raise TypeError(f"expected a {model.__name__}, got {type(obj).__name__}")
        if obj.pk is not None or not obj._state.adding:
            raise ValueError("only new objects without a primary key")
        compiled = self._compile()
        connection = connections[using]
        obj._prepare_related_fields_for_save(operation_name="save")
        signals.pre_save.send(
            sender=model, instance=obj, raw=False, using=using, update_fields=None
        )
        params = []
        for field in compiled.fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{field.name}: expressions are not supported")
            params.append(field.get_db_prep_save(value, connection))
        with (
            transaction.mark_for_rollback_on_error(using=using),
            connection.cursor() as cursor,
        ):
            cursor.execute(compiled.sql, params)
            if compiled.returns:
                row = connection.ops.fetch_returned_insert_columns(
                    cursor, compiled.returning_params
                )
            else:
                pk = model._meta.pk
                row = (
                    connection.ops.last_insert_id(
                        cursor, model._meta.db_table, pk.column
                    ),
                )
        row = _convert(row, compiled.converters, connection)
        for value, field in zip(row, compiled.returning_fields, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = using
        signals.post_save.send(
            sender=model,
            instance=obj,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )
        return obj

    def _compile(self) -> _CompiledInsert:
        compiled = self._compiled.get(self._using)
        if compiled is None:
            compiled = self._compiled[self._using] = self._build_compiled()
        return compiled

    def _build_compiled(self) -> _CompiledInsert:
        model, meta = self._model, self._model._meta
        connection = connections[self._using]
        # As Model._save_table chooses them for an object without a key.
        fields = [
            field
            for field in meta.local_concrete_fields
            if not field.generated and field is not meta.auto_field
        ]
        returns = connection.features.can_return_columns_from_insert
        returning_fields = list(meta.db_returning_fields) if returns else [meta.pk]
        query = sql.InsertQuery(model)
        query.insert_values(fields, [model()])
        compiler = query.get_compiler(using=self._using)
        compiler.returning_fields = returning_fields
        [(text, params)] = compiler.as_sql()
        if len(params) != len(fields):
            raise TypeError(
                f"{model.__name__}: a field's placeholder takes other than one value"
            )
        converters = compiler.get_converters(
            [field.get_col(meta.db_table) for field in returning_fields]
        )
        return _CompiledInsert(
            sql=text,
            fields=tuple(fields),
            returning_fields=tuple(returning_fields),
            returns=returns,
            returning_params=tuple(compiler.returning_params),
            converters=converters,
        )
