"""How much of LEAN's API qclocal implements, class by class, measured against the installed quantconnect-stubs.

``live_objects()`` runs a one-ticker synthetic backtest and collects a real instance of every class registered
with ``@lean_type`` (enums are surveyed as classes). ``survey()`` reads every public member the stubs list for
each: a member either resolves (implemented) or raises ``NotImplementedError`` naming it; anything else is an
error. ``python -m qclocal.api_coverage`` prints the table kept in docs/qclocal.md; the tests check that the
table there is current.
"""

from __future__ import annotations

import inspect
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qclocal.engine.lean_api import LEAN_TYPES, LeanConstants, stub_type


@dataclass
class Coverage:
    lean_type: str
    implemented: list[str]
    raising: list[str]
    errors: list[str]  # "member: what went wrong"; must stay empty


def _write_market(folder: Path) -> None:
    from qclocal.data import calendars, writers

    sessions = pd.DatetimeIndex(calendars.session_dates(date(2020, 1, 2), date(2020, 2, 28)))
    closes = 100.0 + np.arange(len(sessions))
    bars = pd.DataFrame({"open": closes, "high": closes + 1, "low": closes - 1, "close": closes, "volume": 1e6},
                        index=sessions)
    writers.write_equity_bars(folder, "SPY", bars)
    writers.write_map_file(folder, "SPY", sessions[0].date())


def live_objects() -> dict[type, Any]:
    """One live instance of every ``@lean_type`` class (the class itself for enums), from a small backtest."""
    import qclocal.algorithm_imports  # noqa: F401 - registers every class AlgorithmImports exposes
    from qclocal import indicators as ind
    from qclocal.engine import corporate, margin, orders
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.custom_data import Fred, PythonData
    from qclocal.engine.data_types import Bar, BaseData, QuoteBar
    from qclocal.engine.enums import Resolution
    from qclocal.engine.portfolio_target import CoarseFundamental, PortfolioTarget, SecurityChanges
    from qclocal.engine.runner import MarginInterestRateParameters, run_algorithm
    from qclocal.engine.scheduling import ScheduledEvent
    from qclocal.engine.transactions import MarketOnCloseOrder
    from qclocal.research import QuantBook

    seen: dict[type, Any] = {}

    class Probe(QCAlgorithm):
        def initialize(self) -> None:
            self.set_start_date(2020, 1, 2)
            self.set_end_date(2020, 2, 28)
            self.set_cash(100_000)
            self.spy = self.add_equity("SPY", Resolution.DAILY)
            self.indicators = [self.sma("SPY", 3), self.ema("SPY", 3), self.rsi("SPY", 3), self.bb("SPY", 3, 2),
                               self.macd("SPY", 2, 4, 3), self.atr("SPY", 3), self.std("SPY", 3), self.psar("SPY"),
                               self.logr("SPY", 2), self.roc("SPY", 2), self.momp("SPY", 2), self.max("SPY", 3),
                               self.min("SPY", 3), self.identity("SPY")]

        def on_data(self, slice: Any) -> None:
            seen.update({type(slice): slice, type(slice.bars): slice.bars, type(slice.bars["SPY"]): slice.bars["SPY"]})
            if not self.portfolio.invested and not self.transactions.get_open_orders():
                self.ticket = self.market_order("SPY", 10)

        def on_order_event(self, order_event: Any) -> None:
            seen[type(order_event)] = order_event

    algo = Probe()
    with tempfile.TemporaryDirectory() as tmp:
        _write_market(Path(tmp) / "data")
        result = run_algorithm(algo, Path(tmp) / "data", Path(tmp) / "storage")
        seen[QuantBook] = QuantBook(Path(tmp) / "data", Path(tmp) / "storage")
    if result.error:
        raise RuntimeError(f"the coverage backtest failed:\n{result.error}")
    security = algo.spy
    ticket = algo.ticket
    order = algo.transactions.get_order_by_id(ticket.order_id)
    event = next(o for o in seen.values() if isinstance(o, orders.OrderEvent))
    sma = algo.indicators[0]
    when = datetime(2020, 1, 2, 16)
    objects = [
        algo, security, security.holdings, security.exchange, security.cache, algo.securities, algo.portfolio,
        algo.portfolio.cash_book["USD"], algo.transactions, ticket, order, event, event.order_fee,
        event.order_fee.value, security.fee_model, security.slippage_model, algo.date_rules, algo.time_rules,
        algo.date_rules.every_day(), algo.time_rules.at(10, 0), algo.schedule, ScheduledEvent("e", iter([]), print),
        algo.object_store,
        algo.settings, algo.universe_settings, algo.default_order_properties, security.symbol,
        orders.TimeInForce.GOOD_TIL_CANCELED, orders.OrderFeeParameters(security, order), orders.FeeModel(),
        orders.ConstantFeeModel(1.0), orders.ConstantSlippageModel(0.01), orders.VolumeShareSlippageModel(),
        orders.NullSlippageModel(), Bar(1, 2, 0.5, 1.5), QuoteBar(when, security.symbol, Bar(1, 1, 1, 1), 1.0, None, 0.0, when),
        BaseData(security.symbol, when, 1.0), PythonData(security.symbol, when, 1.0), Fred(security.symbol, when, 1.0),
        PortfolioTarget(security.symbol, 1.0), SecurityChanges([security], []),
        CoarseFundamental(security.symbol, 1.0, 1.0, 1.0, True, 1.0, 1.0, when), MarketOnCloseOrder(),
        MarginInterestRateParameters(security, when), sma.current, ind.IndicatorResult(1.0),
        ind.RollingWindow(3), ind.ConstantIndicator("c", 1.0), ind.Delay(2), ind.Momentum(2),
        ind.RateOfChangePercent(2), ind.Sum(2), ind.TrueRange(), ind.Variance(2), ind.WilderMovingAverage(2),
        ind.ParabolicStopAndReverseExtended(), ind.IndicatorExtensions.plus(sma, sma), *algo.indicators,
        corporate.Split(security.symbol, when, 100.0, 0.5, corporate.SplitType.SPLIT_OCCURRED),
        corporate.Dividend(security.symbol, when, 0.5, 100.0),
        corporate.Delisting(security.symbol, when, 100.0, corporate.DelistingType.DELISTED),
        corporate.SymbolChangedEvent(security.symbol, when, "OLD", "SPY"), orders.SubmitOrderRequest.from_order(order),
        margin.DefaultMarginCallModel(algo.portfolio),
    ]
    for obj in objects:
        seen.setdefault(type(obj), obj)
    for cls in LEAN_TYPES:
        if isinstance(cls, LeanConstants):  # enums and static classes: members are class attributes
            seen[cls] = cls
    return seen


def survey(obj: Any, lean_type: str) -> Coverage:
    """Read every member the stubs list for ``lean_type`` on ``obj``; classify each."""
    known = stub_type(lean_type)
    if known is None:
        raise LookupError(f"{lean_type} is not in the installed quantconnect-stubs")
    coverage = Coverage(lean_type, [], [], [])
    for name in sorted(known.members):
        try:
            getattr(obj, name)
        except NotImplementedError as error:
            target = coverage.raising if name in str(error) else coverage.errors
            target.append(name if target is coverage.raising else f"{name}: message does not name it: {error}")
        except Exception as error:  # noqa: BLE001 - every other outcome is a finding ...
            try:
                inspect.getattr_static(obj, name)  # ... unless qclocal's own getter raised, as LEAN's does
                coverage.implemented.append(name)
            except AttributeError:
                coverage.errors.append(f"{name}: {type(error).__name__}: {error}")
        else:
            coverage.implemented.append(name)
    return coverage


def coverage_table(objects: dict[type, Any] | None = None) -> list[Coverage]:
    """One row per registered class with a live instance, LEAN type order."""
    objects = objects if objects is not None else live_objects()
    rows = []
    for cls, lean_type in sorted(LEAN_TYPES.items(), key=lambda kv: kv[1]):
        obj = objects.get(cls)
        if obj is None:
            obj = next((o for c, o in objects.items() if isinstance(c, type) and issubclass(c, cls)), None)
        if obj is None:
            rows.append(Coverage(lean_type, [], [], ["no live instance to survey (extend live_objects)"]))
            continue
        rows.append(survey(obj, lean_type))
    return rows


def markdown(rows: list[Coverage]) -> str:
    lines = ["| LEAN type | members in the stubs | implemented | raise NotImplementedError |", "|---|---:|---:|---:|"]
    for row in rows:
        total = len(row.implemented) + len(row.raising)
        lines.append(f"| `{row.lean_type}` | {total} | {len(row.implemented)} | {len(row.raising)} |")
    implemented = sum(len(r.implemented) for r in rows)
    raising = sum(len(r.raising) for r in rows)
    lines.append(f"| **all {len(rows)} types** | {implemented + raising} | {implemented} | {raising} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(coverage_table()))
