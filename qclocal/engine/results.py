"""Sampling as LEAN's result handler does it, and the backtest result (statistics, charts, orders, logs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from qclocal.engine import statistics


def smart_round(value: float) -> float:
    """LEAN's SmartRounding: 4 decimals above 1000, else 7 significant digits (negative values included).

    LEAN applies it to every chart value it stores: ``ChartPoint.y`` and the ``Candlestick`` OHLC setters
    (``Common/ChartPoint.cs``, ``Common/Candlestick.cs``), so the daily Return, Benchmark and Portfolio Turnover
    points and the equity candles that statistics read are all SmartRounded."""
    if value == 0 or math.isnan(value):
        return 0.0
    if value > 1000:
        return round(value, 4)
    digits = 7 - int(math.floor(math.log10(abs(value)))) - 1
    return round(value, digits)


class Sampler:
    """Daily samples (equity, return, benchmark, turnover) plus equity points every resample period."""

    def __init__(self, start: datetime, end: datetime):
        minutes = (end - start).total_seconds() / 60
        self.resample_period = timedelta(minutes=max(4.0, minutes / 4000))
        self.next_sample = datetime.min
        self.equity: list[tuple[datetime, float]] = []
        self.daily_times: list[datetime] = []
        self.performance: list[float] = []
        self.benchmark: list[float] = []
        self.turnover: list[float] = []
        self._prev_value: float | None = None
        self._prev_volume = 0.0
        self.start_value = 0.0

    def reset_start(self, value: float, sale_volume: float) -> None:
        self.start_value = value
        self._prev_value = value
        self._prev_volume = sale_volume

    def daily(self, time: datetime, value: float, benchmark: float, sale_volume: float) -> None:
        prev = self._prev_value if self._prev_value else value
        self.performance.append(smart_round(round((value - prev) * 100 / prev, 10)) if prev else 0.0)
        self.equity.append((time, smart_round(round(value, 4))))
        if self.daily_times:
            self.turnover.append(smart_round((sale_volume - self._prev_volume) / value) if value else 0.0)
        self.daily_times.append(time)
        self.benchmark.append(smart_round(benchmark))
        self._prev_value = value
        self._prev_volume = sale_volume

    def step(self, time: datetime, value: float) -> None:
        if time > self.next_sample:
            self.next_sample = time + self.resample_period
            self.equity.append((time, smart_round(round(value, 4))))


@dataclass
class BacktestResult:
    status: str
    statistics: dict[str, str]
    runtime_statistics: dict[str, str]
    charts: dict[str, Any]
    orders: list[dict]
    order_events: list[dict]
    logs: list[str]
    error: str | None = None
    equity: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    benchmark: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    data_points: int = 0
    history_points: int = 0
    wall_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "statistics": self.statistics,
                "runtimeStatistics": self.runtime_statistics, "charts": self.charts,
                "orders": {str(o["id"]): o for o in self.orders},
                "totalPerformance": {"dataPoints": self.data_points, "historyDataPoints": self.history_points},
                "wallSeconds": round(self.wall_seconds, 3)}


def build_statistics(sampler: Sampler, start_value: float, trade_records: list[float], total_fees: float,
                     total_orders: int, risk_free, orders_json: list[dict]) -> dict[str, str]:
    return statistics.compute(statistics.StatisticsInput(
        start_equity=start_value, equity=sorted(sampler.equity, key=lambda p: p[0]),
        performance=sampler.performance, benchmark=sampler.benchmark, turnover=sampler.turnover,
        trade_records=trade_records, total_fees=total_fees, total_orders=total_orders, risk_free=risk_free,
        orders_json=orders_json))


def chart(points: list[tuple[datetime, float]]) -> list[dict]:
    return [{"x": int(pd.Timestamp(t).timestamp()), "y": v} for t, v in points]
