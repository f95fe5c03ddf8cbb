"""Counting a metric's rows for every period at once.

A `TenantMetric` with `rows` says which rows it counts, as a SELECT joined to `Periods`, a table of
the periods computed (one row per period). The engine sums those rows per period, overall and under
each of the metric's dimensions, and puts every such metric of an office into one statement: an
office's figures for all its metrics and all periods cost one round trip, whatever their number.

The rows' columns, by name:
- `period`: the period's key (`periods.period`), the row counts in that period;
- one column per dimension of the metric, named by its key: the member the row counts under
  (NULL: under none, though it still counts in the overall figure);
- the metric's `value` column (`value` unless it names another): what the row adds; without such a
  column each row adds 1 (a count).

Metrics whose `rows` is the same function share one scan: each sums its own value column over the
same rows (e.g. `held` counts receptions, `people` sums their visitors). The statement is built once
per set of metrics and office level, and then serves every office and any periods: the office's
code and the periods are its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, Tuple
from sqlalchemy.sql.selectable import CTE, CompoundSelect
from sqlalchemy.sql.visitors import replacement_traverse

from renda.core.timezone import LOCAL_TZ
from renda.modules.rollups.periods import Period

if TYPE_CHECKING:
    from renda.modules.rollups.registry import TenantMetric

COLUMNS = {
    "period": String,
    "start": Date,
    "end": Date,
    "day": Date,
    "starts_at": DateTime(timezone=True),
    "ends_at": DateTime(timezone=True),
    "day_ends_at": DateTime(timezone=True),
}


def local_start(day: date) -> datetime:
    """The first instant of a local (Asia/Shanghai) day."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True, eq=False)
class Periods:
    """The periods being computed as a table, one row per period, for a metric's rows to join:

    - `period`: the key (2026, 2026-Q4, 2026-11), the column a metric's rows name their period by;
    - `start`, `end`: its first and last local day; `starts_at`, `ends_at`: the instants those days
      begin and the day after `end` begins;
    - `day`: the day a stock is read on (the period's last day, or today for a running period), and
      `day_ends_at`, the instant the day after it begins.
    """

    table: CTE

    @classmethod
    def table_of_parameters(cls) -> Periods:
        """The periods as parameters of the statement, one array per column (see `parameters`), so one
        statement serves any number of periods. (A VALUES list would keep the statement from being
        cached: it would be compiled again for every office.)"""
        arrays = (bindparam(f"periods_{name}", type_=ARRAY(kind)) for name, kind in COLUMNS.items())
        rows = func.unnest(*arrays).table_valued(*(column(name, kind) for name, kind in COLUMNS.items()))
        # A common table expression: the statement that unites several metrics lists the periods once.
        return cls(select(rows.render_derived()).cte("periods"))

    @staticmethod
    def parameters(periods: Sequence[Period], today: date) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {f"periods_{name}": [] for name in COLUMNS}
        for p in periods:
            day = p.as_of(today)
            row = (
                p.key,
                p.start,
                p.end,
                day,
                local_start(p.start),
                local_start(p.end + timedelta(days=1)),
                local_start(day + timedelta(days=1)),
            )
            for name, value in zip(COLUMNS, row, strict=True):
                found[f"periods_{name}"].append(value)
        return found

    @property
    def period(self) -> ColumnElement[str]:
        return self.table.c.period

    @property
    def start(self) -> ColumnElement[date]:
        return self.table.c.start

    @property
    def end(self) -> ColumnElement[date]:
        return self.table.c.end

    @property
    def day(self) -> ColumnElement[date]:
        return self.table.c.day

    @property
    def starts_at(self) -> ColumnElement[datetime]:
        return self.table.c.starts_at

    @property
    def ends_at(self) -> ColumnElement[datetime]:
        return self.table.c.ends_at

    @property
    def day_ends_at(self) -> ColumnElement[datetime]:
        return self.table.c.day_ends_at

    def during(self, when: Any) -> ColumnElement[bool]:
        """`when` (a local date, or a timestamp) falls within the period: the join of a flow."""
        if isinstance(when.type, DateTime):
            return and_(when >= self.starts_at, when < self.ends_at)
        return when.between(self.start, self.end)


OFFICE_CODE: BindParameter[str] = bindparam("office_code", type_=String)


@dataclass(frozen=True)
class Office:
    """The office the rows are counted in: its level (the statement is built once per level) and its
    code, a parameter of the statement (which serves every office of that level)."""

    level: str

    @property
    def code(self) -> BindParameter[str]:
        return OFFICE_CODE


# (the periods, the office) → the SELECT of the rows a metric counts
TenantRows = Callable[[Periods, Office], Select[Any]]


def _grouped(
    metrics: Sequence[TenantMetric], values: Sequence[str], periods: Periods, office: Office, group: int, width: int
) -> Select[Any]:
    """The metrics sharing one rows function: per period, overall and per member of each dimension
    any of them has, one summed column per value column in `values` (`v0`, `v1`, …), NULL columns up
    to `width` (the groups of one statement are united), the group's number first."""
    assert metrics[0].rows is not None
    rows = metrics[0].rows(periods, office).subquery(f"g{group}_rows")
    keys = list(dict.fromkeys(d.key for m in metrics for d in m.dimensions))
    needed = ["period", *keys]
    if missing := [key for key in needed if key not in rows.c]:
        raise ValueError(f"metrics {[m.key for m in metrics]}: their rows lack the columns {missing}")
    if odd := [key for key in keys if not key.isidentifier()]:
        raise ValueError(f"metrics {[m.key for m in metrics]}: dimension keys must be identifiers, not {odd}")
    period, members = rows.c.period, [rows.c[key] for key in keys]
    sums = [
        cast(func.coalesce(func.sum(rows.c[v] if v in rows.c else literal_column("1")), 0), BigInteger).label(f"v{i}")
        for i, v in enumerate(values)
    ]
    sums += [cast(null(), BigInteger).label(f"v{i}") for i in range(len(values), width)]
    # Constants in the text, not parameters: the statement is the same for every office.
    number = literal_column(str(group), Integer).label("g")
    none = literal_column("''", String)
    if not keys:
        return select(number, period, none.label("dimension"), none.label("member"), *sums).group_by(period)
    under = [func.grouping(m) == 0 for m in members]  # the row is this dimension's breakdown
    named_as = [literal_column(f"'{key}'", String) for key in keys]  # dimension keys: identifiers
    dimension = case(*zip(under, named_as, strict=True), else_=none)
    member = case(*((u, cast(m, String)) for u, m in zip(under, members, strict=True)), else_=none)
    overall = and_(*(~u for u in under))
    named = [and_(u, m.is_not(None)) for u, m in zip(under, members, strict=True)]
    return (
        select(number, period, dimension.label("dimension"), member.label("member"), *sums)
        .group_by(func.grouping_sets(tuple_(period), *(tuple_(period, m) for m in members)))
        .having(or_(overall, *named))
    )


Split = tuple[tuple[str, int, frozenset[str]], ...]  # per metric of a group: key, value column, dimensions


@dataclass(frozen=True)
class FiguresStatement:
    """Every metric's figures for every period in one statement, whose parameters are
    `Periods.parameters` and `office_code`. Its rows are per group of metrics sharing their rows
    (group, period, dimension, member, v0, v1, …): a metric's figures are its group's rows of the
    overall figure and of its own dimensions, in its value column. Split here, not by the statement:
    a SELECT per metric over its group's rows cost the planner about a quarter of its time."""

    statement: Select[Any] | CompoundSelect
    groups: tuple[Split, ...]

    def figures(self, rows: Iterable[Sequence[Any]]) -> Iterator[tuple[str, str, str, str, int]]:
        """(metric, period, dimension, member, value) of the statement's rows."""
        for group, period, dimension, member, *values in rows:
            for key, index, dimensions in self.groups[group]:
                if not dimension or dimension in dimensions:
                    yield key, period, dimension, member, values[index]


def build_statement(metrics: Sequence[TenantMetric], level: str) -> FiguresStatement:
    table, office = Periods.table_of_parameters(), Office(level)
    groups: dict[Any, list[TenantMetric]] = {}
    for metric in metrics:
        groups.setdefault(metric.rows, []).append(metric)
    value_names = [list(dict.fromkeys(m.value for m in shared)) for shared in groups.values()]
    width = max(len(names) for names in value_names)
    parts = [
        _grouped(shared, names, table, office, n, width)
        for n, (shared, names) in enumerate(zip(groups.values(), value_names, strict=True))
    ]
    splits = tuple(
        tuple((m.key, names.index(m.value), frozenset(d.key for d in m.dimensions)) for m in shared)
        for shared, names in zip(groups.values(), value_names, strict=True)
    )
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return FiguresStatement(_without_expanding(statement), splits)


def _without_expanding(statement: Any) -> Any:
    """`x IN (list)` as `x = ANY(array)`: a list parameter would have the statement's text rendered
    again at every execution (its length is part of the text), a long text for every office."""

    def replace(element: Any) -> Any:
        if (
            isinstance(element, BinaryExpression)
            and element.operator in (operators.in_op, operators.not_in_op)
            and isinstance(element.right, BindParameter)
            and element.right.expanding
            and isinstance(element.right.value, list | tuple)  # a list given when the rows were built
            and not isinstance(element.left, Tuple)  # (a, b) IN (...) has no array form
        ):
            array = bindparam(None, list(element.right.value), type_=ARRAY(element.right.type))
            found = element.left == any_(array)
            return found if element.operator is operators.in_op else not_(found)
        return None

    return replacement_traverse(statement, {}, replace)


_built: dict[tuple[tuple[str, ...], str], tuple[Sequence[TenantMetric], FiguresStatement]] = {}


def figures_statement(metrics: Sequence[TenantMetric], level: str) -> FiguresStatement:
    """`build_statement`, built once per process and office level (building it costs more than
    running it), as long as the metrics are the same."""
    key = (tuple(m.key for m in metrics), level)
    built = _built.get(key)
    if built is None or any(a is not b for a, b in zip(built[0], metrics, strict=True)):
        built = _built[key] = (tuple(metrics), build_statement(metrics, level))
    return built[1]


def forget_statements() -> None:
    """The registered metrics changed."""
    _built.clear()
