"""The one place where a module adds a metric to the rollups.

A module declares its metrics in its own `metrics.py` with `register_metric(...)`; the engine
finds them there and never needs to know the module. A metric yields additive figures (counts or
sums), each optionally under one dimension, for one office and period:

- `PlatformMetric` reads platform tables (the mandate directory) and computes many offices in one
  query; whoever writes those tables calls `rollups.service.mark_stale` with the offices touched.
- `TenantMetric` reads one office's own schema; writes to the tables it `watches` make that
  office's figures stale automatically. Its watched tables are the tables it counts: where none of
  them ever held a row the engine takes its figures as zero without computing them. It says what
  it counts either as `rows` (a SELECT over every period at once, see `counting`: the engine puts
  all such metrics of an office into one statement) or as `compute` (a function run once per
  period).
- `RatioMetric` (a rate or an average) is never stored: shares don't add up the hierarchy, so it is
  derived on display from two additive metrics, a numerator and a denominator, at every level.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from renda.modules import import_module_parts
from renda.modules.rollups.counting import TenantRows, forget_statements
from renda.modules.rollups.periods import Period


@dataclass(frozen=True)
class Figure:
    value: int
    dimension: str = ""  # "" for the metric's overall figure
    member: str = ""


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    member_labels: dict[str, str] = field(default_factory=dict)  # also the display order, where given


@dataclass(frozen=True, kw_only=True)
class Metric:
    key: str  # "<module>.<name>"
    label: str
    unit: str = "人"
    description: str = ""
    dimensions: tuple[Dimension, ...] = ()
    order: int = 100  # position on the dashboard
    # A stock (deputies in office) is read on one day, the period's end or today, so periods read
    # on the same day share it; a flow (receptions, suggestions) counts what happened in the period.
    stock: bool = False

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)


# (platform session, office codes, period, today) → {office code: figures}
PlatformCompute = Callable[[AsyncSession, Sequence[str], Period, date], Awaitable[dict[str, list[Figure]]]]
# (the office's tenant session, period, today) → figures
TenantCompute = Callable[[AsyncSession, Period, date], Awaitable[list[Figure]]]


@dataclass(frozen=True, kw_only=True)
class PlatformMetric(Metric):
    compute: PlatformCompute


@dataclass(frozen=True, kw_only=True)
class TenantMetric(Metric):
    # Exactly one of: the rows it counts, for every period in one go (the office's one statement), or
    # a function computing one period (a statement or more per period and office).
    rows: TenantRows | None = None
    value: str = "value"  # the rows' column it sums (each row counts 1 where there is none)
    compute: TenantCompute | None = None
    watches: tuple[str, ...] = ()  # tenant table names

    def __post_init__(self) -> None:
        if (self.rows is None) == (self.compute is None):
            raise ValueError(f"tenant metric {self.key} needs either rows or compute")


@dataclass(frozen=True, kw_only=True)
class RatioMetric(Metric):
    numerator: str  # metric keys
    denominator: str
    scale: int = 100  # 100 for a percentage, 1 for an average
    unit: str = "%"

    def of(self, numerator: int | None, denominator: int | None) -> float | None:
        """None where there is nothing to divide by (no deputies to cover, nothing rated)."""
        if numerator is None or not denominator:
            return None
        return round(self.scale * numerator / denominator, 1)


_metrics: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    if metric.key in _metrics and _metrics[metric.key] != metric:
        raise ValueError(f"metric {metric.key} registered twice")
    _metrics[metric.key] = metric
    _forget_watched()
    forget_statements()
    return metric


def computed_metrics() -> list[Metric]:
    """The metrics the engine computes and stores (every kind but ratios)."""
    return [m for m in metrics().values() if not isinstance(m, RatioMetric)]


def unregister_metric(key: str) -> None:
    _metrics.pop(key, None)
    _forget_watched()
    forget_statements()


def metrics() -> dict[str, Metric]:
    load_metric_modules()
    return dict(sorted(_metrics.items(), key=lambda item: (item[1].order, item[0])))


_watched: frozenset[str] | None = None


def watched_tables() -> frozenset[str]:
    """The tenant tables whose writes make an office's figures stale (asked on every flush: cached)."""
    global _watched
    if _watched is None:
        _watched = frozenset(t for m in metrics().values() if isinstance(m, TenantMetric) for t in m.watches)
    return _watched


def _forget_watched() -> None:
    global _watched
    _watched = None


_loaded = False


def load_metric_modules() -> None:
    """Import every module's `metrics.py` once."""
    global _loaded
    if _loaded:
        return
    import_module_parts("metrics")
    _loaded = True
