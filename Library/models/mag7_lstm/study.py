"""Out-of-sample evaluation of a model timeline: ranking quality and the rule's backtest against the baselines.

Used by the research notebook and the real-data report: score each month start in ``[start, end]`` with its
as-of model (newest cutoff strictly before the date) and with 12-1 momentum, measure the Spearman IC against the
realised 21-bar forward returns, and backtest the rule driven by each next to QQQ buy-and-hold and an
equal-weight Mag7 portfolio rebalanced monthly (research backtest: :mod:`.backtest`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from .backtest import BacktestResult, backtest_rule, buy_and_hold, comparison_table, equal_weight
from .dataset import HORIZON, as_timestamp
from .evaluation import forward_returns, information_coefficients, ranking_summary
from .schedule import month_starts
from .signals import lstm_score_panel, momentum_panel

__all__ = ["Study", "evaluate"]


@dataclass
class Study:
    rebalance: pd.DatetimeIndex          # month starts in [start, end]
    scored: pd.DatetimeIndex             # those with a complete 21-bar forward window
    scores: dict[str, pd.DataFrame]      # "lstm", "momentum": rebalance dates x tickers
    realised: pd.DataFrame               # scored dates x tickers: the label's forward return sum
    ic: pd.DataFrame                     # scored dates x {"lstm", "momentum"}
    ranking: pd.DataFrame                # one row per signal: ranking_summary
    results: dict[str, BacktestResult]   # "lstm", "momentum", "qqq", "equal_weight"
    table: pd.DataFrame                  # comparison_table(results)


def evaluate(models: Sequence[Any], bars: Mapping[str, pd.DataFrame], *, start: date | datetime | str,
             end: date | datetime | str, qqq: pd.DataFrame | None = None, bil: pd.Series | None = None,
             vol_target: float | None = None, cost_bps: float = 1.0, initial_cash: float = 10_000.0) -> Study:
    """Score, rank and backtest ``models`` (a timeline, e.g. from ``train_walk_forward``) on ``bars``."""
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    last = min(as_timestamp(end, "end"), calendar[-1])
    rebalance = month_starts(calendar, start, last)
    if len(rebalance) == 0:
        raise ValueError(f"no month start between {start} and {end}")
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    lstm = lstm_score_panel(models, bars, rebalance)
    momentum = momentum_panel(closes, rebalance)
    scored = rebalance[rebalance <= calendar[-HORIZON - 1]] if len(calendar) > HORIZON else rebalance[:0]
    realised = forward_returns(closes, scored)
    signals = {"lstm": lstm, "momentum": momentum}
    ic = pd.DataFrame({n: information_coefficients(s.reindex(scored), realised) for n, s in signals.items()})
    ranking = pd.DataFrame({n: ranking_summary(s.reindex(scored), realised) for n, s in signals.items()}).T
    first = rebalance[0]
    kwargs: dict[str, Any] = {"start": first, "end": last, "cost_bps": cost_bps, "initial_cash": initial_cash}
    results = {n: backtest_rule(bars, s, treasury=bil, vol_target=vol_target, **kwargs) for n, s in signals.items()}
    if qqq is not None:
        results["qqq"] = buy_and_hold(qqq, name="QQQ", **kwargs)
    results["equal_weight"] = equal_weight(bars, rebalance, **kwargs)
    return Study(rebalance, scored, signals, realised, ic, ranking, results, comparison_table(results))
