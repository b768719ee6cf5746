"""Statements of answering and submitting, run with less machinery than an execution through Core.

An answer runs three statements. Executing a statement through SQLAlchemy (cache key,
execution context, result object) cost ~70 µs of CPU on the 2-core benchmark machine, the
database's own work ~10 µs. A ``Prepared`` statement is a Core statement that SQLAlchemy
compiles once per dialect; it then runs on the session's own DBAPI connection, inside the
session's transaction, with SQLAlchemy's own bind and result processors for its types
(SQLite's datetimes and JSON are text in the file). Used for the statements of answering
and submitting, which every phone runs ~20 times a contest; everywhere else the session
executes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select

from .extensions import db


@dataclass
class _Compiled:
    sql: str
    compiled: Any  # SQLAlchemy's compiled form: the parameters' defaults and order
    order: tuple[str, ...] | None  # positional parameters (SQLite's "?"), else named
    binds: dict[str, Callable[[Any], Any]]
    types: tuple[Any, ...]  # of the result's columns, as the dialect implements them
    # (column index, processor) of the columns that have one; made on the first run, with the
    # driver's type codes (None until then)
    results: list[tuple[int, Callable[[Any], Any]]] | None = None


class Prepared:
    def __init__(self, statement):
        """``statement``: a Core statement, or a function that builds it for the database in
        use (for one written per dialect, such as an INSERT … ON CONFLICT); it is called once
        per dialect."""
        self._build = statement if callable(statement) else (lambda: statement)
        self.statement = None if callable(statement) else statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect) -> _Compiled:
        statement = self._build()
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise TypeError("a Prepared statement cannot have expanding (IN) parameters")
        binds = {}
        for bind, name in compiled.bind_names.items():  # names as the parameters carry them
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        columns = statement.selected_columns if isinstance(statement, Select) else ()
        return _Compiled(compiled.string, compiled, tuple(compiled.positiontup) if compiled.positional else None,
                         binds, tuple(c.type.dialect_impl(dialect) for c in columns))

    def _run(self, params: dict):
        session = db.session()  # the request's Session itself: one registry lookup, not one per use
        if session.autoflush:  # as the session does before it executes: pending changes first
            session.flush()
        connection = session.connection()
        compiled = self._by_dialect.get(connection.dialect.name)
        if compiled is None:
            compiled = self._by_dialect[connection.dialect.name] = self._compile(connection.dialect)
        values = compiled.compiled.construct_params(params)
        for name, processor in compiled.binds.items():
            values[name] = processor(values[name])
        if compiled.order is not None:
            values = tuple(values[name] for name in compiled.order)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, values)
        except connection.dialect.loaded_dbapi.Error as error:
            # As the session would raise it (sqlalchemy.exc.IntegrityError, OperationalError…),
            # and a connection the server dropped is not handed out again.
            cursor.close()
            dropped = connection.dialect.is_disconnect(error, connection.connection, cursor)
            if dropped:
                connection.invalidate(error)
            raise DBAPIError.instance(compiled.sql, values, error, connection.dialect.loaded_dbapi.Error,
                                      connection_invalidated=dropped, dialect=connection.dialect) from error
        if compiled.results is None:
            # As SQLAlchemy makes them: some depend on the type the driver reports.
            processors = [t.result_processor(connection.dialect, d[1])
                          for t, d in zip(compiled.types, cursor.description or ())]
            compiled.results = [(i, p) for i, p in enumerate(processors) if p is not None]
        return cursor, compiled.results

    def rows(self, **params) -> list[tuple]:
        cursor, processors = self._run(params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if processors:
            # Only the columns that need it (a paper is 20 rows of ~12 columns, two of them JSON).
            converted = []
            for row in rows:
                row = list(row)
                for i, processor in processors:
                    if row[i] is not None:
                        row[i] = processor(row[i])
                converted.append(tuple(row))
            rows = converted
        return rows

    def first(self, **params) -> tuple | None:
        rows = self.rows(**params)
        return rows[0] if rows else None

    def rowcount(self, **params) -> int:
        """Run an UPDATE or DELETE: how many rows it changed."""
        cursor, _ = self._run(params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()
