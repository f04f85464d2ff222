"""LEAN's summary statistics, computed and formatted the way LEAN's StatisticsBuilder does.

See ``../shared/lean-reference/statistics.md``. Inputs are what the result handler sampled: the equity
points (every sample), the daily performance points (percent) and benchmark values, daily turnover, and
the trade records (a value for each fill that reduced or closed a position).
"""

from __future__ import annotations

import decimal
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
    # StatisticsBuilder.PreprocessPerformanceValues / CreateBenchmarkDifferences: decimal arithmetic on the
    # sampled (decimal) chart values, then converted to double
    perf = np.array([float(Decimal(repr(v)) / 100) for v in inp.performance[2:]], dtype=float)
    bench_values = [Decimal(repr(float(v))) for v in inp.benchmark]
    with decimal.localcontext(_DECIMAL):
        bench = np.array([float((b - a) / a) if a != 0 else 0.0
                          for a, b in zip(bench_values[:-1], bench_values[1:], strict=True)][1:], dtype=float)
    turnover = float(np.mean(inp.turnover)) if inp.turnover else 0.0

    out = dict.fromkeys(STATISTIC_NAMES, "")
    out.update(_trade_statistics([], inp.start_equity))
    out["Total Orders"] = str(inp.total_orders)
    out["Start Equity"] = equity_text(inp.start_equity)
    out["End Equity"] = equity_text(end_equity)
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

    out.update(_trade_statistics(inp.trade_records, inp.start_equity))
    rf = float(np.mean([inp.risk_free(t) for t, _ in inp.equity])) if inp.equity else 0.0
    net = end_equity / inp.start_equity - 1
    years = (inp.equity[-1][0] - inp.equity[0][0]).total_seconds() / 86400 / 365
    car = _safe((end_equity / inp.start_equity) ** (1 / years) - 1) if years > 0 else 0.0
    dd = drawdown(equity_values)

    out["Net Profit"] = _pct(net)
    out["Compounding Annual Return"] = _pct(car)
    out["Drawdown"] = _pct(_round(dd, 3))
    out["Probabilistic Sharpe Ratio"] = _pct(probabilistic_sharpe(perf, rf))
    out.update({name: net_double_text(value) for name, value in ratios(perf, bench, rf).items()})
    out["Drawdown Recovery"] = str(drawdown_recovery_days(inp.equity))
    return out


# -- LEAN's decimal and double arithmetic for the ratio statistics ------------------------------------------
# Common/Statistics/PortfolioStatistics.cs computes these as C# decimals from doubles, and
# Common/Statistics/StatisticsBuilder.cs prints ``Math.Round((double)value, 3).ToStringInvariant()``. Three
# C# rules matter for large or tiny values: ``(decimal)double`` keeps 15 significant digits and saturates at
# decimal's range (Extensions.SafeDecimalCast); decimal arithmetic carries 28 digits; .NET prints a double as
# its shortest round-trip digits, in scientific notation only when the decimal exponent passes
# max(digits, 17) or is below -4, and keeps the sign of -0.
_DECIMAL = decimal.Context(prec=28)
_DECIMAL_MAX = Decimal("79228162514264337593543950335")


def to_decimal(x: float) -> Decimal:
    """C#'s ``(decimal)double`` as ``SafeDecimalCast`` does it: 15 significant digits, clamped to the range."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"cannot cast the non-finite value {x} to decimal")
    value = Decimal(f"{x:.15g}")
    return max(-_DECIMAL_MAX, min(_DECIMAL_MAX, value))


def _safe_division(a: Decimal, b: Decimal) -> Decimal:
    """``Extensions.SafeDivision``: 0 for a zero divisor or a result outside decimal's range."""
    if b == 0:
        return Decimal(0)
    result = _DECIMAL.divide(a, b)
    return result if abs(result) <= _DECIMAL_MAX else Decimal(0)


def _variance(values: np.ndarray) -> float:
    """MathNet's ``StreamingStatistics.Variance`` (what ``List<double>.Variance()`` runs): one pass."""
    if len(values) < 2:
        return math.nan
    total, variance = float(values[0]), 0.0
    for count, x in enumerate(values[1:].tolist(), start=2):
        total += x
        diff = count * x - total
        variance += diff * diff / (count * (count - 1))
    return variance / (len(values) - 1)


def _covariance(a: np.ndarray, b: np.ndarray) -> float:
    """MathNet's ``StreamingStatistics.Covariance``: running means and co-moment."""
    mean_a = mean_b = comoment = 0.0
    for n, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True), start=1):
        previous_b = mean_b
        mean_a += (x - mean_a) / n
        mean_b += (y - mean_b) / n
        comoment += (x - mean_a) * (y - previous_b)
    return comoment / (len(a) - 1) if len(a) > 1 else math.nan


def _mean(values: np.ndarray) -> float:
    """LINQ ``Average``: a sequential sum divided by the count."""
    total = 0.0
    for x in values.tolist():
        total += x
    return total / len(values)


def _annual_variance(values: np.ndarray) -> float:
    variance = _variance(values)
    return 0.0 if math.isnan(variance) or variance == 0 else variance * TRADING_DAYS


def ratios(perf: np.ndarray, bench: np.ndarray, rf: float) -> dict[str, Decimal]:
    """Sharpe, Sortino, Alpha, Beta, Annual Standard Deviation and Variance, Information and Treynor Ratios and
    Tracking Error, step by step as PortfolioStatistics does them (decimal where LEAN uses decimal)."""
    annual_variance = to_decimal(_annual_variance(perf))
    std = to_decimal(math.sqrt(float(annual_variance)))
    annual = to_decimal((_mean(perf) + 1) ** TRADING_DAYS - 1)
    bench_annual = to_decimal((_mean(bench) + 1) ** TRADING_DAYS - 1)
    risk_free = Decimal(repr(rf))

    def sharpe(deviation: Decimal) -> Decimal:   # Statistics.SharpeRatio(decimal, decimal, decimal)
        if deviation == 0:
            return Decimal(0)
        return to_decimal((float(annual) - float(risk_free)) / float(deviation))

    downside = to_decimal(math.sqrt(_annual_variance(perf[perf < 0])))
    bench_variance = _variance(bench)
    beta = Decimal(0) if math.isnan(bench_variance) or bench_variance == 0 else \
        to_decimal(_covariance(perf, bench) / bench_variance)
    alpha = Decimal(0) if beta == 0 else \
        _DECIMAL.subtract(annual, _DECIMAL.add(risk_free, _DECIMAL.multiply(beta, bench_annual - risk_free)))
    tracking = to_decimal(math.sqrt(_annual_variance(perf - bench))) if len(perf) == len(bench) else Decimal(0)
    information = Decimal(0) if tracking == 0 else \
        _safe_division(to_decimal(float(annual) - float(bench_annual)), tracking)
    treynor = Decimal(0) if beta == 0 else _safe_division(to_decimal(float(annual) - float(risk_free)), beta)
    return {"Sharpe Ratio": sharpe(std), "Sortino Ratio": sharpe(downside), "Alpha": alpha, "Beta": beta,
            "Annual Standard Deviation": std, "Annual Variance": annual_variance,
            "Information Ratio": information, "Tracking Error": tracking, "Treynor Ratio": treynor}


def equity_text(value: float) -> str:
    """``Math.Round(equity, 2)`` of LEAN's decimal equity: a decimal keeps its scale, so whole cash (100000, no
    trades) prints without decimals, while equity that went through prices carries at least 4 decimals
    (SmartRounding) and prints with 2, trailing zero included ("100569.90")."""
    rounded = Decimal(repr(round(value, 4)))
    if rounded == rounded.to_integral_value():
        return str(int(rounded))
    return net_decimal_round(rounded.quantize(Decimal("0.0001")), 2)


def net_round(x: float, digits: int = 3) -> float:
    """.NET's ``Math.Round(double, digits)``: scale, round half to even, unscale; values of 1e16 and more are
    returned as they are; the sign of zero is kept."""
    if abs(x) >= 1e16:
        return x
    power = 10.0 ** digits
    return math.copysign(float(round(x * power)), x) / power


def net_double_text(value: Decimal | float) -> str:
    """``Math.Round((double)value, 3).ToStringInvariant()`` as .NET (Core 3.0 and later) prints it."""
    x = net_round(float(value))
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    text = "".join(map(str, digits))
    scale = len(text) + int(exponent)   # the decimal exponent: value = 0.<digits> x 10^scale
    if scale > max(len(text), 17) or scale < -4:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        body = f"{mantissa}E{'+' if scale - 1 >= 0 else '-'}{abs(scale - 1):02d}"
    else:
        body = format(Decimal(repr(abs(x))).normalize(), "f")
    return ("-" if sign else "") + body


def _standardized_moments(a: np.ndarray) -> tuple[float, float]:
    """Bias-corrected skewness and excess kurtosis of a 1-d sample: ``scipy.stats.skew(a, bias=False)`` and
    ``scipy.stats.kurtosis(a, bias=False)`` with scipy's own operations (scipy 1.13 ``_moment``: the mean of
    (a - mean)**2, of its square times (a - mean), of its square), so the floats are the same; importing
    scipy.stats costs ~0.4 s of start-up. NaN where scipy gives NaN (no variance, too few points)."""
    n = len(a)
    mean = a.mean(keepdims=True)
    d = a - mean
    d2 = d**2
    m2, m3, m4 = np.mean(d2), np.mean(d2 * d), np.mean(d2**2)
    if m2 <= (np.finfo(np.float64).resolution * mean[0])**2:
        return float("nan"), float("nan")
    skew = np.sqrt((n - 1.0) * n) / (n - 2.0) * m3 / m2**1.5 if n > 2 else m3 / m2**1.5
    kurt = 1.0/(n-2)/(n-3) * ((n**2-1.0)*m4/m2**2.0 - 3*(n-1)**2.0) + 3.0 if n > 3 else m4 / m2**2.0
    return float(skew), float(kurt - 3)


def probabilistic_sharpe(perf: np.ndarray, rf: float) -> float:
    from scipy.special import ndtr  # scipy.stats.norm.cdf's function, without importing scipy.stats

    std = float(np.std(perf, ddof=1))
    if std == 0 or len(perf) < 3:
        return 0.0
    sr = (float(np.mean(perf)) - rf / TRADING_DAYS) / std
    benchmark_sr = 1 / math.sqrt(TRADING_DAYS)
    skew, kurt = _standardized_moments(np.asarray(perf, dtype=float))
    if len(perf) <= 3:
        kurt = float("nan")
    sigma = math.sqrt((1 - skew * sr + (kurt - 1) / 4 * sr * sr) / (len(perf) - 1)) \
        if (1 - skew * sr + (kurt - 1) / 4 * sr * sr) >= 0 else float("nan")
    if math.isnan(sigma) or sigma == 0:
        return 0.0
    return float(ndtr((sr - benchmark_sr) / sigma))


def net_decimal_round(value: Decimal, digits: int) -> str:
    """``Math.Round(decimal, digits).ToStringInvariant()``: half to even; a decimal keeps its scale when it is
    already at most ``digits``, so an exact 0 prints "0" and a rounded 0.0004 prints "0.00"."""
    if -value.as_tuple().exponent > digits:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_EVEN)
    return format(value, "f")


def _trade_statistics(records: list[float], start_equity: float) -> dict[str, str]:
    """PortfolioStatistics' trade figures, in decimal as LEAN computes them: each trade's profit relative to the
    capital before it; rates from the counts; Expectancy = WinRate x ProfitLossRatio - LossRate."""
    with decimal.localcontext(_DECIMAL):
        capital = Decimal(repr(start_equity))
        total_profit = total_loss = Decimal(0)
        wins = losses = 0
        for record in records:
            value = Decimal(repr(round(record, 10)))
            if value > 0:
                total_profit += value / capital
                wins += 1
            else:
                total_loss += value / capital
                losses += 1
            capital += value
        average_win = total_profit / wins if wins else Decimal(0)
        average_loss = total_loss / losses if losses else Decimal(0)
        ratio = average_win / abs(average_loss) if average_loss else Decimal(0)
        trades = wins + losses
        win_rate = Decimal(wins) / trades if trades else Decimal(0)
        loss_rate = Decimal(losses) / trades if trades else Decimal(0)
        expectancy = win_rate * ratio - loss_rate
        return {"Average Win": net_decimal_round(average_win * 100, 2) + "%",
                "Average Loss": net_decimal_round(average_loss * 100, 2) + "%",
                "Expectancy": net_decimal_round(expectancy, 3),
                "Loss Rate": net_decimal_round(loss_rate * 100, 0) + "%",
                "Win Rate": net_decimal_round(win_rate * 100, 0) + "%",
                "Profit-Loss Ratio": net_decimal_round(ratio, 2)}


STATISTIC_NAMES = [
    "Total Orders", "Average Win", "Average Loss", "Compounding Annual Return", "Drawdown", "Expectancy",
    "Start Equity", "End Equity", "Net Profit", "Sharpe Ratio", "Sortino Ratio", "Probabilistic Sharpe Ratio",
    "Loss Rate", "Win Rate", "Profit-Loss Ratio", "Alpha", "Beta", "Annual Standard Deviation",
    "Annual Variance", "Information Ratio", "Tracking Error", "Treynor Ratio", "Total Fees",
    "Estimated Strategy Capacity", "Lowest Capacity Asset", "Portfolio Turnover", "Drawdown Recovery",
    "OrderListHash",
]
