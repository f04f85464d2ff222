"""LEAN's summary statistics, computed and formatted the way LEAN's StatisticsBuilder does.

See ``../shared/lean-reference/statistics.md``. Inputs are what the result handler sampled: the equity
points (every sample), the daily performance points (percent) and benchmark values, daily turnover, and
the trade records (a value for each fill that reduced or closed a position).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

TRADING_DAYS = 252


@dataclass
class StatisticsInput:
    start_equity: float
    equity: list[tuple[datetime, float]]          # every equity sample, in time order
    performance: list[float]                      # daily-sample returns in percent (LEAN's stored points)
    benchmark: list[float]                        # benchmark value at each daily sample
    turnover: list[float]                         # daily turnover values (first sample excluded)
    trade_records: list[float]                    # pnl - 2 x closing fee, in order
    total_fees: float
    total_orders: int
    risk_free: Callable[[datetime], float]
    orders_json: list[dict] = field(default_factory=list)


def _round(x: float, digits: int) -> float:
    return round(x, digits) + 0.0  # banker's rounding on the double, as C# Math.Round; no "-0"


def _num(x: float, digits: int = 3) -> str:
    text = f"{_round(x, digits):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _money(x: float) -> str:
    """LEAN's fees are decimals: 3.485 prints as 3.49 (half away from zero), not binary-rounded 3.48."""
    return str(Decimal(repr(round(x, 10))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _pct(x: float, digits: int = 3) -> str:
    return "0%" if x == 0 else f"{_round(x * 100, digits):.{digits}f}%"


def _pct_strip(x: float, digits: int = 2) -> str:
    return f"{_num(x * 100, digits)}%"


def _safe(x: float) -> float:
    return 0.0 if (x is None or math.isnan(x) or math.isinf(x)) else float(x)


def drawdown(values: np.ndarray) -> float:
    if len(values) == 0:
        return 0.0
    peaks = np.maximum.accumulate(values)
    return float(np.max((peaks - values) / peaks))


def drawdown_recovery_days(points: Sequence[tuple[datetime, float]]) -> int:
    """Longest time, in whole days, from a peak to the first sample back at or above it."""
    longest = 0
    peak_value, peak_time, in_drawdown = -math.inf, None, False
    for t, v in points:
        if v >= peak_value:
            if in_drawdown and peak_time is not None:
                longest = max(longest, (t - peak_time).days)
            peak_value, peak_time, in_drawdown = v, t, False
        else:
            in_drawdown = True
    return longest


def compute(inp: StatisticsInput) -> dict[str, str]:
    equity_values = np.array([v for _, v in inp.equity], dtype=float)
    end_equity = float(equity_values[-1]) if len(equity_values) else inp.start_equity
    perf = np.array(inp.performance[2:], dtype=float) / 100.0
    bench_values = np.array(inp.benchmark, dtype=float)
    bench = np.zeros(max(len(bench_values) - 1, 0))
    if len(bench_values) > 1:
        prev = bench_values[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            bench = np.where(prev == 0, 0.0, bench_values[1:] / prev - 1.0)
    bench = bench[1:]
    turnover = float(np.mean(inp.turnover)) if inp.turnover else 0.0

    out = dict.fromkeys(STATISTIC_NAMES, "")
    trade = _trade_statistics(inp.trade_records, inp.start_equity)
    out.update(trade)
    out["Total Orders"] = str(inp.total_orders)
    out["Start Equity"] = _num(inp.start_equity, 2)
    out["End Equity"] = _num(end_equity, 2)
    out["Total Fees"] = f"${_money(inp.total_fees)}"
    out["Portfolio Turnover"] = "0%" if turnover == 0 else f"{_round(turnover * 100, 2):.2f}%"
    out["Estimated Strategy Capacity"] = "not computed by qclocal"
    out["Lowest Capacity Asset"] = ""
    out["OrderListHash"] = hashlib.md5(json.dumps(inp.orders_json, sort_keys=True).encode()).hexdigest() \
        if inp.orders_json else hashlib.md5(b"").hexdigest()
    zero_keys = ["Compounding Annual Return", "Drawdown", "Net Profit", "Sharpe Ratio", "Sortino Ratio",
                 "Probabilistic Sharpe Ratio", "Alpha", "Beta", "Annual Standard Deviation", "Annual Variance",
                 "Information Ratio", "Tracking Error", "Treynor Ratio"]
    for key in zero_keys:
        out[key] = "0%" if key in ("Compounding Annual Return", "Drawdown", "Net Profit",
                                   "Probabilistic Sharpe Ratio") else "0"
    out["Drawdown Recovery"] = "0"
    if inp.start_equity == 0 or len(perf) < 2 or len(bench) < 2:
        return out

    rf = float(np.mean([inp.risk_free(t) for t, _ in inp.equity])) if inp.equity else 0.0
    net = end_equity / inp.start_equity - 1
    years = (inp.equity[-1][0] - inp.equity[0][0]).total_seconds() / 86400 / 365
    car = _safe((end_equity / inp.start_equity) ** (1 / years) - 1) if years > 0 else 0.0
    mean = float(np.mean(perf))
    annual_perf = (mean + 1) ** TRADING_DAYS - 1
    bench_annual = (float(np.mean(bench)) + 1) ** TRADING_DAYS - 1
    var = float(np.var(perf, ddof=1))
    std = math.sqrt(var * TRADING_DAYS)
    sharpe = _safe((annual_perf - rf) / std) if std else 0.0
    neg = perf[perf < 0]
    down = math.sqrt(TRADING_DAYS * float(np.var(neg, ddof=1))) if len(neg) >= 2 else 0.0
    sortino = _safe((annual_perf - rf) / down) if down else 0.0
    bvar = float(np.var(bench, ddof=1))
    beta = _safe(float(np.cov(perf, bench, ddof=1)[0, 1]) / bvar) if bvar and not math.isnan(bvar) else 0.0
    alpha = annual_perf - (rf + beta * (bench_annual - rf)) if beta else 0.0
    tracking = math.sqrt(TRADING_DAYS * float(np.var(perf - bench, ddof=1)))
    info = _safe((annual_perf - bench_annual) / tracking) if tracking else 0.0
    treynor = _safe((annual_perf - rf) / beta) if beta else 0.0
    dd = drawdown(equity_values)

    out["Net Profit"] = _pct(net)
    out["Compounding Annual Return"] = _pct(car)
    out["Drawdown"] = _pct(_round(dd, 3))
    out["Sharpe Ratio"] = _num(sharpe)
    out["Sortino Ratio"] = _num(sortino)
    out["Probabilistic Sharpe Ratio"] = _pct(probabilistic_sharpe(perf, rf))
    out["Alpha"] = _num(alpha)
    out["Beta"] = _num(beta)
    out["Annual Standard Deviation"] = _num(std)
    out["Annual Variance"] = _num(var * TRADING_DAYS)
    out["Information Ratio"] = _num(info)
    out["Tracking Error"] = _num(tracking)
    out["Treynor Ratio"] = _num(treynor)
    out["Drawdown Recovery"] = str(drawdown_recovery_days(inp.equity))
    return out


def probabilistic_sharpe(perf: np.ndarray, rf: float) -> float:
    from scipy import stats as sps  # imported here: scipy costs ~0.5 s at start-up

    std = float(np.std(perf, ddof=1))
    if std == 0 or len(perf) < 3:
        return 0.0
    sr = (float(np.mean(perf)) - rf / TRADING_DAYS) / std
    benchmark_sr = 1 / math.sqrt(TRADING_DAYS)
    skew = float(sps.skew(perf, bias=False))
    kurt = float(sps.kurtosis(perf, bias=False)) if len(perf) > 3 else float("nan")
    sigma = math.sqrt((1 - skew * sr + (kurt - 1) / 4 * sr * sr) / (len(perf) - 1)) \
        if (1 - skew * sr + (kurt - 1) / 4 * sr * sr) >= 0 else float("nan")
    if math.isnan(sigma) or sigma == 0:
        return 0.0
    return float(sps.norm.cdf((sr - benchmark_sr) / sigma))


def _trade_statistics(records: list[float], start_equity: float) -> dict[str, str]:
    if not records:
        return {"Average Win": "0%", "Average Loss": "0%", "Expectancy": "0", "Loss Rate": "0%",
                "Win Rate": "0%", "Profit-Loss Ratio": "0"}
    capital = start_equity
    wins, losses = [], []
    for value in records:
        rel = value / capital if capital else 0.0
        (wins if value > 0 else losses).append(rel)
        capital += value
    n = len(records)
    avg_win = float(np.mean(wins)) if wins else 0.0
    avg_loss = float(np.mean(losses)) if losses else 0.0
    win_rate, loss_rate = len(wins) / n, len(losses) / n
    plr = avg_win / abs(avg_loss) if avg_loss else 0.0
    return {
        "Average Win": _pct_strip(avg_win), "Average Loss": _pct_strip(avg_loss),
        "Expectancy": _num(win_rate * plr - loss_rate), "Loss Rate": f"{round(loss_rate * 100)}%",
        "Win Rate": f"{round(win_rate * 100)}%", "Profit-Loss Ratio": _num(plr, 2),
    }


STATISTIC_NAMES = [
    "Total Orders", "Average Win", "Average Loss", "Compounding Annual Return", "Drawdown", "Expectancy",
    "Start Equity", "End Equity", "Net Profit", "Sharpe Ratio", "Sortino Ratio", "Probabilistic Sharpe Ratio",
    "Loss Rate", "Win Rate", "Profit-Loss Ratio", "Alpha", "Beta", "Annual Standard Deviation",
    "Annual Variance", "Information Ratio", "Tracking Error", "Treynor Ratio", "Total Fees",
    "Estimated Strategy Capacity", "Lowest Capacity Asset", "Portfolio Turnover", "Drawdown Recovery",
    "OrderListHash",
]
