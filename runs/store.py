"""The scheduler's hot-path SQL: the few statements every node step runs.

Django's ORM compiles each query anew, at 0.3–0.5 ms apiece; a node step runs several,
which on a chain of queued nodes would cost more than the broker round trip we are
measured against. The statements here are built once from the models' metadata and
reused. Rows still come back as model instances through `Model.objects.raw`, which
applies each field's converters, so the rest of the code sees ordinary models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection

from .models import NodeRun, Run

NODE_LARGE_FIELDS = ("output", "state", "stream", "usage", "details")


def _read_fields(model, leave_out: Iterable[str]) -> tuple[str, ...]:
    """Attribute names of the columns to read, in the model's field order (Model.from_db
    wants them so)."""
    skip = set(leave_out)
    return tuple(f.attname for f in model._meta.concrete_fields if f.name not in skip)


# A step reads every column of its nodes but the large values (loaded when needed), and
# every column of its run but the graph (the plan, cached, stands for it).
NODE_READ_FIELDS = _read_fields(NodeRun, NODE_LARGE_FIELDS)
RUN_READ_FIELDS = _read_fields(Run, ["graph"])


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model, attname: str):
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _columns(model, fields: Iterable[str]) -> str:
    table = _quote(model._meta.db_table)
    return ", ".join(f"{table}.{_quote(_field(model, f).column)}" for f in fields)


def run_key(run_id: Any) -> Any:
    return Run._meta.pk.get_db_prep_value(uuid.UUID(str(run_id)), connection)


@contextmanager
def pipeline() -> Iterator[None]:
    """On PostgreSQL, send the statements issued inside in one round trip where psycopg
    can (their results are fetched when read). Elsewhere, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


def hot_cursor():
    """A cursor for the hot path. On PostgreSQL, a plain psycopg cursor on Django's own
    connection (same transaction): it binds parameters on the server and lets psycopg
    prepare statements it sees often, where Django's client-side cursor re-quotes every
    parameter on every call."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


class Pending:
    """A query sent but not yet read: lets a step send several before waiting for any."""

    def __init__(self, model, fields: tuple[str, ...], sql: str, params: list[Any]):
        self.model = model
        self.fields = fields
        self.cursor = hot_cursor()
        self.cursor.execute(sql, params)

    def rows(self) -> list:
        out = [self.instance(values) for values in self.cursor.fetchall()]
        self.cursor.close()
        return out

    def instance(self, values: Any) -> Any:
        """A model instance from the row's first len(self.fields) values."""
        values = list(values[: len(self.fields)])
        for index, chain in _converters(self.model, self.fields):
            value = values[index]
            for convert in chain:
                value = convert(value, None, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.fields, values)


RUN_ALL_FIELDS = _read_fields(Run, ())


@lru_cache(maxsize=2)
def _run_to_show_sql(vendor: str) -> str:
    run_table = _quote(Run._meta.db_table)
    user = Run._meta.get_field("created_by").related_model._meta
    version = Run._meta.get_field("version").related_model._meta
    return (
        f"SELECT {_columns(Run, RUN_ALL_FIELDS)}, u.{_quote(user.get_field(user.model.USERNAME_FIELD).column)}, "
        f"v.{_quote(version.get_field('number').column)} FROM {run_table} "
        f"LEFT JOIN {_quote(user.db_table)} u ON u.{_quote(user.pk.column)} = {run_table}.{_quote('created_by_id')} "
        f"LEFT JOIN {_quote(version.db_table)} v ON v.{_quote(version.pk.column)} = {run_table}.{_quote('version_id')} "
        f"WHERE {run_table}.{_quote(Run._meta.pk.column)} = %s"
    )


class PendingRunToShow(Pending):
    """A run with every value, and the name of its creator and the number of its version
    (what showing it needs of them), in one query built once."""

    def __init__(self, run_id: Any):
        super().__init__(Run, RUN_ALL_FIELDS, _run_to_show_sql(connection.vendor), [run_key(run_id)])

    def run(self) -> Run | None:
        row = self.cursor.fetchone()
        self.cursor.close()
        if row is None:
            return None
        run = self.instance(row)
        username, number = row[len(self.fields):]
        user_model = Run._meta.get_field("created_by").related_model
        version_model = Run._meta.get_field("version").related_model
        if run.created_by_id is not None:
            run.created_by = user_model.from_db(
                connection.alias, ["id", user_model.USERNAME_FIELD], [run.created_by_id, username]
            )
        if run.version_id is not None:
            run.version = version_model.from_db(
                connection.alias, ["id", "number"], [run.version_id, number]
            )
        return run


class PendingNow:
    """The database's clock, asked along with a step's first queries."""

    def __init__(self) -> None:
        self.cursor = hot_cursor()
        self.cursor.execute("SELECT now()")

    def value(self) -> datetime:
        row = self.cursor.fetchone()
        self.cursor.close()
        return row[0]


def release_connection() -> None:
    """Give this thread's database connection back (to the pool, in queue mode) when no
    transaction holds it: a thread about to wait on something else should not keep one."""
    if not connection.in_atomic_block:
        connection.close()


def database_now() -> datetime:
    """The time by the database's clock (PostgreSQL), or this host's (local mode)."""
    pending = send_now()
    if pending is None:
        from django.utils import timezone

        return timezone.now()
    return pending.value()


def send_now() -> PendingNow | None:
    """On PostgreSQL, the transaction's time by the database's clock (leases are set and
    compared on it, so no worker's clock matters); elsewhere None (local mode: one host)."""
    return PendingNow() if connection.vendor == "postgresql" else None


@lru_cache(maxsize=16)
def _converters_cached(vendor: str, model, fields: tuple[str, ...]) -> list:
    meta = model._meta
    found = []
    for index, name in enumerate(fields):
        field = _field(model, name)
        column = field.get_col(meta.db_table)
        chain = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if chain:
            found.append((index, tuple(chain)))
    return found


def _converters(model, fields: tuple[str, ...]) -> list:
    return _converters_cached(connection.vendor, model, fields)


@lru_cache(maxsize=4)
def _lock_run_sql(vendor: str) -> str:
    meta = Run._meta
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {_columns(Run, RUN_READ_FIELDS)} FROM {_quote(meta.db_table)} "
        f"WHERE {_quote(meta.pk.column)} = %s{lock}"
    )


def send_lock_run(run_id: Any) -> Pending:
    """Read the run, locked for this transaction (on SQLite the write lock taken at
    BEGIN IMMEDIATE already covers the whole database)."""
    return Pending(Run, RUN_READ_FIELDS, _lock_run_sql(connection.vendor), [run_key(run_id)])


@lru_cache(maxsize=8)
def _nodes_sql(vendor: str, some: bool) -> str:
    meta = NodeRun._meta
    sql = (
        f"SELECT {_columns(NodeRun, NODE_READ_FIELDS)} FROM {_quote(meta.db_table)} "
        f"WHERE {_quote('run_id')} = %s"
    )
    if some:
        if vendor == "postgresql":
            sql += f" AND {_quote('node_id')} = ANY(%s)"
        else:
            sql += f" AND {_quote('node_id')} IN (SELECT value FROM json_each(%s))"
    return sql


def send_load_nodes(run_id: Any, node_ids: list[str] | None = None) -> Pending:
    params: list[Any] = [run_key(run_id)]
    if node_ids is not None:
        params.append(list(node_ids) if connection.vendor == "postgresql" else json.dumps(list(node_ids)))
    sql = _nodes_sql(connection.vendor, node_ids is not None)
    return Pending(NodeRun, NODE_READ_FIELDS, sql, params)


NODE_ALL_FIELDS = _read_fields(NodeRun, ())


@lru_cache(maxsize=2)
def _all_nodes_sql(vendor: str) -> str:
    return (
        f"SELECT {_columns(NodeRun, NODE_ALL_FIELDS)} FROM {_quote(NodeRun._meta.db_table)} "
        f"WHERE {_quote('run_id')} = %s ORDER BY {_quote('id')}"
    )


def send_load_whole_nodes(run_id: Any) -> Pending:
    """Every node run of a run with every value, in creation order (for showing the run)."""
    return Pending(NodeRun, NODE_ALL_FIELDS, _all_nodes_sql(connection.vendor), [run_key(run_id)])


def load_nodes(run_id: Any, node_ids: list[str] | None = None) -> list[NodeRun]:
    """Node runs of a run (all, or those named), without their large values."""
    if node_ids is not None and not node_ids:
        return []
    return send_load_nodes(run_id, node_ids).rows()


@lru_cache(maxsize=1)
def _node_ref_sql() -> str:
    meta = NodeRun._meta
    return f"SELECT {_quote('run_id')}, {_quote('node_id')} FROM {_quote(meta.db_table)} WHERE {_quote('id')} = %s"


def node_ref(node_pk: int) -> tuple[str, str] | None:
    """(run id, node id) of a node run."""
    with connection.cursor() as cursor:
        cursor.execute(_node_ref_sql(), [node_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return str(uuid.UUID(str(row[0]))), row[1]


@lru_cache(maxsize=32)
def _update_run_sql(fields: tuple[str, ...]) -> tuple[str, tuple]:
    meta = Run._meta
    columns = tuple(meta.get_field(name) for name in fields)
    assignments = ", ".join(f"{_quote(c.column)} = %s" for c in columns)
    return f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {_quote(meta.pk.column)} = %s", columns


def update_run(run: Run, fields: Iterable[str]) -> None:
    sql, columns = _update_run_sql(tuple(sorted(fields)))
    values = [c.get_db_prep_save(getattr(run, c.attname), connection) for c in columns]
    with hot_cursor() as cursor:
        cursor.execute(sql, [*values, run_key(run.pk)])


@lru_cache(maxsize=64)
def _update_nodes_sql(vendor: str, fields: tuple[str, ...], optional: tuple[str, ...]) -> tuple[str, tuple]:
    meta = NodeRun._meta
    columns = tuple(meta.get_field(name) for name in (*fields, *optional))
    table, pk = _quote(meta.db_table), _quote(meta.pk.column)
    if vendor != "postgresql":
        assigned = ", ".join(f"{_quote(c.column)} = %s" for c in columns)
        return f"UPDATE {table} SET {assigned} WHERE {pk} = %s", columns
    # All rows in one short statement with one parameter: the rows as a JSON array of
    # objects, read by json_to_recordset. (One array parameter per column costs more:
    # psycopg quotes array elements in Python, json.dumps runs in C.) An optional column
    # comes with a flag: rows without it keep their value.
    names = ["id bigint", *(f"{_quote(c.column)} {_record_type(c)}" for c in columns)]
    names += [f"{_quote('set_' + c.column)} boolean" for c in columns[len(fields) :]]
    assignments = [f"{_quote(c.column)} = v.{_quote(c.column)}" for c in columns[: len(fields)]]
    assignments += [
        f"{_quote(c.column)} = CASE WHEN v.{_quote('set_' + c.column)} THEN v.{_quote(c.column)} "
        f"ELSE t.{_quote(c.column)} END"
        for c in columns[len(fields) :]
    ]
    sql = (
        f"UPDATE {table} AS t SET {', '.join(assignments)} "
        f"FROM json_to_recordset(%s::json) AS v({', '.join(names)}) WHERE t.{pk} = v.id"
    )
    return sql, columns


def _record_type(column) -> str:
    # varchar(n) becomes text, which converts to it implicitly; jsonb takes the nested value.
    db_type = column.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def _json_value(column):
    if column.get_internal_type() == "DateTimeField":
        return _iso
    return _same


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _same(value: Any) -> Any:
    return value


def write_nodes(rows: list[NodeRun], fields: tuple[str, ...], optional: dict[str, set[str]] | None = None) -> None:
    """UPDATE `fields` of each row, and of `optional` (field → node ids) only the rows named.

    Django's bulk_update builds a CASE per field per row and costs about a millisecond per
    row. On PostgreSQL this is one UPDATE … FROM json_to_recordset(rows); on SQLite (in process,
    where a statement costs microseconds) one prepared statement per row and field set.
    """
    optional = optional or {}
    vendor = connection.vendor
    if vendor != "postgresql":
        groups: dict[tuple[str, ...], list[NodeRun]] = {}
        for row in rows:
            extra = tuple(sorted(f for f, ids in optional.items() if row.node_id in ids))
            groups.setdefault(extra, []).append(row)
        for extra, group in groups.items():
            _write_rows_one_by_one(group, (*fields, *extra))
        return
    names = tuple(sorted(optional))
    sql, columns = _update_nodes_sql(vendor, fields, names)
    always = [(c.column, c.attname, _json_value(c)) for c in columns[: len(fields)]]
    chosen = [(c.column, c.attname, _json_value(c), optional[c.name]) for c in columns[len(fields) :]]
    records = []
    for row in rows:
        record = {"id": row.pk}
        for key, attname, encode in always:
            record[key] = encode(getattr(row, attname))
        for key, attname, encode, node_ids in chosen:
            if row.node_id in node_ids:
                record[key] = encode(getattr(row, attname))
                record["set_" + key] = True
        records.append(record)
    with hot_cursor() as cursor:
        cursor.execute(sql, [json.dumps(records, separators=(",", ":"))])


def _write_rows_one_by_one(rows: list[NodeRun], fields: tuple[str, ...]) -> None:
    sql, columns = _update_nodes_sql(connection.vendor, fields, ())
    prepare = [lambda value, c=c: c.get_db_prep_save(value, connection) for c in columns]
    params = [[p(getattr(row, c.attname)) for p, c in zip(prepare, columns, strict=True)] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        if len(params) == 1:
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)
