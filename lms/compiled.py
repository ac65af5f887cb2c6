"""ORM queries compiled to SQL once per process, then run with new values: for the few queries that
every request makes (the user behind a session or an API token, a player's heartbeat).

Building the SQL of a query with joins costs more CPU than PostgreSQL takes to run it: the user with
their member, branch, township school and teacher profiles took 3.2 ms of CPU per request through the
ORM, of which 1.8 ms went to compiling the same SQL again and 0.2 ms to running it (issue 13). A
`CompiledQuery` is written as an ordinary queryset whose variable values are `Slot`s; it is compiled
the first time it runs, and after that each call only binds the values, executes the SQL and builds
the model instances with Django's own machinery (the same converters, `from_db` and `select_related`
population as iterating the queryset), so the objects are exactly those the ORM would give.

Only values that reach the SQL unchanged can be slots: `field=slot`, `field__in=[slot, ...]`,
comparisons (`__lt`, `__gte`, ...), in subqueries too; and `field__startswith=slot` with a slot made
`Slot(..., startswith=True)`, bound as the escaped LIKE pattern the lookup would send. Compiling
checks that each slot's value is among the SQL parameters and fails loudly otherwise (for instance
behind `__contains`); give each slot an example value no other parameter of the query has.
Annotations are set on the objects as the ORM sets them.
"""

import datetime
import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.models.query import get_related_populators


def _adapter(connection, example):
    """How the backend adapts a date or datetime before sending it (None for other values)."""
    if isinstance(example, datetime.datetime):
        return connection.ops.adapt_datetimefield_value
    if isinstance(example, datetime.date):
        return connection.ops.adapt_datefield_value
    return None


@dataclass(frozen=True)
class Slot:
    """A named value of a compiled query. `example` is a value of the field's type used to compile
    (it must not occur elsewhere in the query's parameters)."""

    name: str
    example: Any
    startswith: bool = False  # used as `field__startswith=slot`


@dataclass
class _Compiled:
    sql: str
    params: list
    positions: dict[str, list[tuple[int, Any]]]  # slot: [(parameter index, how to convert a value)]
    annotations: dict[str, int]
    compiler: Any
    init_list: list[str]
    model_slice: slice
    populators: list = field(default_factory=list)
    converters: list = field(default_factory=list)  # [(column, (converters, expression))]


class CompiledQuery:
    """`CompiledQuery(lambda s: Model.objects.filter(pk=s.pk)[:1], Slot("pk", -1))`, then
    `.all(pk=5)` or `.first(pk=5)`. The builder gets an object whose attributes are the slots'
    example values; it may only use them where the ORM passes them to the SQL as they are."""

    def __init__(self, build, *slots: Slot, counting: bool = False):
        """`counting=True`: the query only counts its rows (`.count(...)`), as `QuerySet.count()`."""
        self._build = build
        self._slots = slots
        self._counting = counting
        self._compiled: dict[str, _Compiled] = {}  # by database alias
        self._lock = threading.Lock()

    def _compile(self, using: str | None) -> _Compiled:
        examples = type("Examples", (), {slot.name: slot.example for slot in self._slots})
        queryset = self._build(examples)
        if self._counting:
            queryset = queryset.order_by().values("pk")
        db = using or router.db_for_read(queryset.model)
        with self._lock:
            if db in self._compiled:
                return self._compiled[db]
            compiler = queryset.query.get_compiler(using=db)
            sql, params = compiler.as_sql()  # also fills compiler.select and compiler.klass_info
            params = list(params)
            positions = {}
            connection = connections[db]
            for slot in self._slots:
                adapt = _adapter(connection, slot.example)
                if slot.startswith:
                    # As the startswith lookup sends its value: LIKE's own characters escaped.
                    adapt = lambda value, ops=connection.ops: f"{ops.prep_for_like_query(value)}%"  # noqa: E731
                adapted = adapt(slot.example) if adapt else None
                found = [
                    i
                    for i, value in enumerate(params)
                    if (
                        not slot.startswith
                        and isinstance(value, type(slot.example))
                        and value == slot.example
                    )
                    or (adapt and value == adapted)
                ]
                if not found:
                    raise ValueError(f"slot {slot.name!r} is not among the SQL parameters")
                # The backend may wrap a value in a type of its own (psycopg's Int2 for a small
                # integer field) or adapt it (SQLite's text for a datetime): new values are wrapped
                # or adapted the same way. A slot used twice (in a subquery and outside it) is
                # bound at each place.
                positions[slot.name] = [
                    (i, adapt if adapt and params[i] == adapted else type(params[i])) for i in found
                ]
            if self._counting:
                sql = f"SELECT COUNT(*) FROM ({sql}) compiled_count"  # noqa: S608 (the ORM's own SQL)
                compiled = _Compiled(sql, params, positions, {}, compiler, [], slice(0))
                self._compiled[db] = compiled
                return compiled
            klass_info, select = compiler.klass_info, compiler.select
            columns = [column[0] for column in select[0 : compiler.col_count]]
            if compiler.has_composite_fields(columns):
                raise ValueError("a compiled query cannot select a composite primary key")
            fields = klass_info["select_fields"]
            model_slice = slice(fields[0], fields[-1] + 1)
            compiled = _Compiled(
                sql=sql,
                params=params,
                positions=positions,
                compiler=compiler,
                init_list=[column[0].target.attname for column in select[model_slice]],
                model_slice=model_slice,
                annotations=dict(compiler.annotation_col_map or {}),
                populators=get_related_populators(klass_info, select, db),
                # Worked out once: asking each column's field and the backend again on every call
                # was a tenth of the home page's CPU.
                converters=list(compiler.get_converters(columns).items()),
            )
            self._compiled[db] = compiled
            return compiled

    def _run(self, using: str | None, values: dict) -> tuple[str, _Compiled, list]:
        db = using or router.db_for_read(self._model())
        compiled = self._compiled.get(db) or self._compile(db)
        params = list(compiled.params)
        for name, places in compiled.positions.items():
            value = values[name]
            for position, convert in places:
                params[position] = value if type(value) is convert else convert(value)
        with connections[db].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return db, compiled, cursor.fetchall()

    def count(self, using: str | None = None, **values) -> int:
        assert self._counting, "compile with counting=True to count"
        return self._run(using, values)[2][0][0]

    def all(self, using: str | None = None, **values) -> list:
        assert not self._counting, "a counting query only counts"
        db, compiled, rows = self._run(using, values)
        model = compiled.compiler.klass_info["model"]
        objects = []
        connection = connections[db]
        for row in rows:
            if compiled.converters:  # as SQLCompiler.apply_converters
                row = list(row)
                for position, (converters, expression) in compiled.converters:
                    value = row[position]
                    for convert in converters:
                        value = convert(value, expression, connection)
                    row[position] = value
            obj = model.from_db(db, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, column in compiled.annotations.items():
                setattr(obj, name, row[column])
            objects.append(obj)
        return objects

    def first(self, using: str | None = None, **values):
        objects = self.all(using, **values)
        return objects[0] if objects else None

    def _model(self):
        if not hasattr(self, "_model_class"):
            examples = type("Examples", (), {slot.name: slot.example for slot in self._slots})
            self._model_class = self._build(examples).model
        return self._model_class
