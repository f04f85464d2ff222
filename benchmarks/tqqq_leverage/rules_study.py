"""The replica's execution rules re-simulated from the data, with the attribution of its tracking error.

    nice .venv/bin/python benchmarks/tqqq_leverage/rules_study.py DATA_FOLDER OBJECT_STORE [variant]

Same rules as algorithms/tqqq_leverage (``moo``: size from the close and the equity at the close, fill at the
next open; ``moc``: size from the previous close, fill at the close), whole shares, IB's $0.005 a share (at least
$1), borrowed cash at IRX + 0.4% ACT/360, $100,000 from 2017-01-04, with the notebook's walk-forward predictions.
It needs seconds where the qclocal backtest needs minutes, and reproduces its tracking error (6.00% for ``moo``
on 2017-2020); ``replica.py`` attributes a qclocal backtest itself.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "Library"), str(HERE.parents[1])]

import replica  # noqa: E402
from models.tqqq_leverage.evaluation import attribution_table, replica_attribution  # noqa: E402
from models.tqqq_leverage.rules import target_shares  # noqa: E402


def simulate(rule: str, days: pd.DatetimeIndex, inputs: pd.DataFrame, qqq: pd.DataFrame,
             predictions: pd.DataFrame, cash: float = 100_000.0, spread: float = 0.004) -> pd.DataFrame:
    """The session table of ``replica_attribution`` for a replica following ``rule`` over ``days``."""
    returns = inputs[["qqq", "tqqq"]].pct_change()
    shares, equity, rows = 0.0, cash, []
    prev = qqq.index[qqq.index.get_loc(days[0]) - 1]
    for day in days:
        close_prev, close, open_ = qqq.at[prev, "close"], qqq.at[day, "close"], qqq.at[day, "open"]
        cash -= max(-cash, 0.0) * (inputs.at[prev, "irx"] / 100 + spread) * (day - prev).days / 360
        before, leverage = shares, predictions.at[day, "leverage"]
        order = target_shares(leverage, equity, close_prev) - shares  # both rules size from the last close known
        price = open_ if rule == "moo" else close
        fee = max(1.0, 0.005 * abs(order)) if order else 0.0
        cash -= order * price + fee
        shares += order
        value = cash + shares * close
        rows.append({"r_qqq": returns.at[day, "qqq"], "r_tqqq": returns.at[day, "tqqq"], "leverage": leverage,
                     "drag": predictions.at[day, "drag"], "close_prev": close_prev, "fill_price": price,
                     "close": close, "shares_before": before, "shares_after": shares, "equity_prev": equity,
                     "replica": value / equity - 1, "fees": fee})
        equity, prev = value, day
    return pd.DataFrame(rows, index=days)


def main() -> int:
    inputs, qqq = replica.market(Path(sys.argv[1]), datetime(2009, 1, 1), datetime(2021, 1, 1))
    predictions = replica.notebook_predictions(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "compact",
                                               inputs)
    days = predictions.dropna().index
    days = days[days >= "2017-01-04"]
    for rule in ("moo", "moc"):
        sessions = simulate(rule, days, inputs, qqq, predictions).iloc[1:]
        parts = replica_attribution(sessions)
        print(f"\n{rule} replica {sessions.index[0].date()}..{sessions.index[-1].date()} ({len(sessions)} sessions)")
        print(attribution_table(parts).to_string(float_format=lambda v: f"{v:8.2%}"))
        print((parts.groupby(parts.index.year).std() * np.sqrt(252)).to_string(float_format=lambda v: f"{v:7.2%}"))
        holdable = sessions["r_tqqq"] - sessions["leverage"] * sessions["r_qqq"] - predictions["baseline_drag"]
        print(f"model level {parts['model'].std() * np.sqrt(252):.2%}; leverage with the analytic drag only "
              f"(what a QQQ position can hold) {holdable.dropna().std() * np.sqrt(252):.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
