"""Evaluation: the source's table, tracking error per calendar year, terminal-wealth error, the figure.

Everything works on a *tracking frame* (:func:`tracking_frame`): one row per session t with the day's
``r_qqq`` and ``r_tqqq``, and the ``leverage`` and ``drag`` predicted at the close of t-1, so
``r_pred = leverage * r_qqq + drag`` is the predicted TQQQ return (a model can be evaluated only on what it
knew the evening before).

Definitions used by :func:`source_table` (annualised with 252 sessions):

- ``return_correlation``: Pearson correlation of ``r_tqqq`` and ``r_pred``.
- ``tracking_error``: ``std(r_tqqq - r_pred) * sqrt(252)``.
- ``mean_actual_leverage``: mean of the trailing 21-session OLS slope of ``r_tqqq`` on ``r_qqq``
  (:func:`~models.tqqq_leverage.dataset.rolling_leverage`; the ratio ``r_tqqq / r_qqq`` is ill-conditioned).
- ``mean_predicted_leverage``: mean of ``leverage``.
- ``leverage_correlation``: correlation of that rolling slope with the 21-session mean of ``leverage`` over
  the same sessions.
- ``volatility_actual`` / ``volatility_predicted``: ``std * sqrt(252)`` of ``r_tqqq`` / ``r_pred``.
- ``max_drawdown_actual`` / ``max_drawdown_predicted``: largest peak-to-trough fall of the compounded returns,
  as a positive fraction.
- ``terminal_wealth_actual`` / ``terminal_wealth_predicted``: ``prod(1 + r)``; ``terminal_wealth_error`` =
  ``predicted / actual - 1``; ``tracking_difference``: ``mean(r_pred - r_tqqq) * 252``.

**Simulated TQQQ** before its inception (2010-02-11), back to QQQ's start (1999-03-10), as an importable CSV.

Each session's simulated return is the analytic form ``L r_QQQ,t - m r_f,t-1 / 252 - c / 252`` (see
:mod:`.dataset`) with parameters either fixed (the textbook 3 / 2 / 0.95%) or fitted on the overlap with real
TQQQ (:func:`~.dataset.calibrate_baseline`). The learned models cannot run before inception: their features
include TQQQ's own recent drag. From TQQQ's first session on, :func:`simulate_tqqq` splices in the real series
so the CSV is one continuous "TQQQ", equal to the real closes from inception and scaled so the two join.

The CSV is Yahoo style, close only: ``Date,Close`` (``qclocal data import`` accepts it; the importer fills
open/high/low with the close and volume with 0, so strategies that need volume must not use it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .dataset import (
    DEFAULT_BASELINE,
    PERIODS_PER_YEAR,
    BaselineParams,
    InputError,
    baseline_drag,
    check_inputs,
    daily_returns,
    rolling_leverage,
)
from .model import predict_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SOURCE_TABLE", "tracking_frame", "source_table", "per_year_tracking_error", "terminal_wealth_error",
           "max_drawdown", "format_table", "cumulative_returns_figure", "simulate_returns", "simulate_tqqq",
           "write_close_csv", "REPLICA_COMPONENTS", "replica_attribution", "attribution_table"]

# The source's published values (its own test period), for side-by-side display.
SOURCE_TABLE: dict[str, float] = {
    "return_correlation": 0.9997, "tracking_error": 0.0162, "mean_actual_leverage": 2.9986,
    "mean_predicted_leverage": 3.0027, "leverage_correlation": -0.0388, "volatility_actual": 0.6278,
    "volatility_predicted": 0.6352, "max_drawdown_actual": 0.5804, "max_drawdown_predicted": 0.5810,
}
_LEVERAGE_WINDOW = 21


def tracking_frame(model: Any, inputs: pd.DataFrame, start: str | pd.Timestamp | None = None,
                   end: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Sessions in ``[start, end]`` with ``r_qqq``, ``r_tqqq``, ``leverage``, ``drag``, ``r_pred``.

    ``leverage`` and ``drag`` are the predictions ``model`` (a ``TrainedModel`` or a loaded one) made at the
    previous close. Rows without a prediction or without returns are dropped; raises :class:`InputError` if
    none remain.
    """
    check_inputs(inputs)
    predictions = predict_frame(model, inputs)
    returns = daily_returns(inputs)
    frame = pd.DataFrame({"r_qqq": returns["r_qqq"], "r_tqqq": returns["r_tqqq"],
                          "leverage": predictions["leverage"].shift(1), "drag": predictions["drag"].shift(1)})
    frame["r_pred"] = frame["leverage"] * frame["r_qqq"] + frame["drag"]
    frame = frame.loc[start:end].dropna()
    if frame.empty:
        raise InputError(f"tracking_frame: no session in [{start}, {end}] has both returns and a prediction")
    frame.index.name = "date"
    return frame


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in ("r_qqq", "r_tqqq", "leverage", "r_pred") if c not in frame.columns]
    if missing:
        raise InputError(f"tracking frame lacks columns {missing}; build it with tracking_frame(...)")
    if len(frame) < 2:
        raise InputError(f"tracking frame has {len(frame)} rows; need at least 2")


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough loss of ``prod(1 + r)`` (including the starting value 1), as a positive fraction."""
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy(dtype=float))])
    return float(1.0 - np.min(wealth / np.maximum.accumulate(wealth)))


def terminal_wealth_error(frame: pd.DataFrame) -> float:
    """``prod(1 + r_pred) / prod(1 + r_tqqq) - 1`` over the frame."""
    _check_frame(frame)
    return float(np.prod(1.0 + frame["r_pred"]) / np.prod(1.0 + frame["r_tqqq"]) - 1.0)


def source_table(frame: pd.DataFrame) -> dict[str, float]:
    """The source's evaluation metrics (see module doc) plus terminal wealth and tracking difference."""
    _check_frame(frame)
    error = frame["r_tqqq"] - frame["r_pred"]
    actual = rolling_leverage(frame["r_tqqq"], frame["r_qqq"], _LEVERAGE_WINDOW)["leverage"]
    predicted = frame["leverage"].rolling(_LEVERAGE_WINDOW, min_periods=_LEVERAGE_WINDOW).mean()
    both = actual.notna() & predicted.notna()
    if both.sum() > 2 and actual[both].std() > 0 and predicted[both].std() > 0:
        leverage_corr = float(np.corrcoef(actual[both], predicted[both])[0, 1])
    else:
        leverage_corr = float("nan")  # a constant prediction (the baseline) has no correlation
    annual = np.sqrt(PERIODS_PER_YEAR)
    wealth_actual = float(np.prod(1.0 + frame["r_tqqq"]))
    wealth_pred = float(np.prod(1.0 + frame["r_pred"]))
    return {
        "return_correlation": float(np.corrcoef(frame["r_tqqq"], frame["r_pred"])[0, 1]),
        "tracking_error": float(error.std() * annual),
        "mean_actual_leverage": float(actual.mean()),
        "mean_predicted_leverage": float(frame["leverage"].mean()),
        "leverage_correlation": leverage_corr,
        "volatility_actual": float(frame["r_tqqq"].std() * annual),
        "volatility_predicted": float(frame["r_pred"].std() * annual),
        "max_drawdown_actual": max_drawdown(frame["r_tqqq"]),
        "max_drawdown_predicted": max_drawdown(frame["r_pred"]),
        "terminal_wealth_actual": wealth_actual,
        "terminal_wealth_predicted": wealth_pred,
        "terminal_wealth_error": wealth_pred / wealth_actual - 1.0,
        "tracking_difference": float(-error.mean() * PERIODS_PER_YEAR),
        "sessions": float(len(frame)),
    }


def per_year_tracking_error(frame: pd.DataFrame) -> pd.DataFrame:
    """Per calendar year: annualised ``tracking_error``, ``terminal_wealth_error`` and ``sessions``."""
    _check_frame(frame)
    years = pd.DatetimeIndex(frame.index).year
    rows = {}
    for year, part in frame.groupby(years):
        error = part["r_tqqq"] - part["r_pred"]
        rows[int(year)] = {
            "tracking_error": float(error.std() * np.sqrt(PERIODS_PER_YEAR)) if len(part) > 1 else float("nan"),
            "terminal_wealth_error": float(np.prod(1.0 + part["r_pred"]) / np.prod(1.0 + part["r_tqqq"]) - 1.0),
            "sessions": float(len(part)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Return tracking", "", ""),
    ("  Correlation with actual TQQQ", "return_correlation", "{:.4f}"),
    ("  Annualized tracking error", "tracking_error", "{:.2%}"),
    ("  Tracking difference (pred - actual, /yr)", "tracking_difference", "{:+.2%}"),
    ("  Terminal-wealth error (pred / actual - 1)", "terminal_wealth_error", "{:+.2%}"),
    ("Leverage accuracy", "", ""),
    ("  Average actual leverage (21d OLS)", "mean_actual_leverage", "{:.4f}"),
    ("  Average predicted leverage", "mean_predicted_leverage", "{:.4f}"),
    ("  Correlation with actual", "leverage_correlation", "{:.4f}"),
    ("Risk metrics", "", ""),
    ("  Volatility actual", "volatility_actual", "{:.2%}"),
    ("  Volatility predicted", "volatility_predicted", "{:.2%}"),
    ("  Maximum drawdown actual", "max_drawdown_actual", "{:.2%}"),
    ("  Maximum drawdown predicted", "max_drawdown_predicted", "{:.2%}"),
)


def format_table(tables: Mapping[str, Mapping[str, float]]) -> str:
    """The source's table as text, one column per model (e.g. ``{"baseline": ..., "compact": ...}``)."""
    names = list(tables)
    label_width = max(len(label) for label, _, _ in _ROWS) + 2
    width = max([14, *(len(name) + 2 for name in names)])
    lines = ["".ljust(label_width) + "".join(name.rjust(width) for name in names)]
    for label, key, fmt in _ROWS:
        if not key:
            lines.append(label)
            continue
        cells = []
        for name in names:
            value = tables[name].get(key, float("nan"))
            cells.append(("n/a" if value is None or not np.isfinite(value) else fmt.format(value)).rjust(width))
        lines.append(label.ljust(label_width) + "".join(cells))
    return "\n".join(lines)


def cumulative_returns_figure(frame: pd.DataFrame, *, title: str = "Cumulative returns (initial value 100)",
                              start_value: float = 100.0) -> Figure:
    """The source's figure: actual TQQQ (blue), predicted TQQQ (orange), 3x QQQ (green, dashed), from 100."""
    from matplotlib.figure import Figure

    _check_frame(frame)
    index = pd.DatetimeIndex(frame.index)
    start = index[0] - pd.Timedelta(days=1)
    def path(returns: pd.Series) -> pd.Series:
        values = start_value * np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy(dtype=float))])
        return pd.Series(values, index=index.insert(0, start))

    figure = Figure(figsize=(11, 5.5))
    axes = figure.subplots()
    axes.plot(path(frame["r_tqqq"]), color="tab:blue", label="Actual TQQQ")
    axes.plot(path(frame["r_pred"]), color="tab:orange", label="Predicted TQQQ")
    axes.plot(path(3.0 * frame["r_qqq"]), color="tab:green", linestyle="--", label="3x QQQ")
    axes.set_title(title)
    axes.set_ylabel("value")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


REPLICA_COMPONENTS: tuple[str, ...] = ("before_fill", "after_fill", "fees", "cash", "drag", "model")
_SESSION_COLUMNS = ("r_qqq", "r_tqqq", "leverage", "drag", "close_prev", "fill_price", "close", "shares_before",
                    "shares_after", "equity_prev", "replica", "fees")


def replica_attribution(sessions: pd.DataFrame) -> pd.DataFrame:
    """Split a replica's daily difference from TQQQ (``replica - r_tqqq``) into parts that sum to it exactly.

    ``sessions`` holds per session t (close t-1 to close t): ``r_qqq`` and ``r_tqqq``; the ``leverage`` and
    ``drag`` predicted at the close of t-1; QQQ's ``close_prev``, ``close`` and the ``fill_price`` of the
    session's order (the close when nothing filled); the shares held before the fill (``shares_before``, from
    close t-1) and after it (``shares_after``), the replica's equity at close t-1 (``equity_prev``), its return
    (``replica``) and the ``fees`` paid. Columns returned (returns per session, as fractions of ``equity_prev``):

    - ``before_fill``: ``(shares_before * close_prev / equity_prev - leverage) * (fill_price / close_prev - 1)``,
      the segment held at the previous, drifted size (with ``moo``: the overnight gap);
    - ``after_fill``: ``(shares_after * fill_price / equity_prev - leverage * fill_price / close_prev) *
      (close / fill_price - 1)``, the sizing error of the new position (zero for a ``moo`` order sized at the
      previous close, up to whole shares);
    - ``fees``: ``-fees / equity_prev``;
    - ``cash``: the rest of the replica's return: financing, and any cash flow such as a dividend paid in cash;
    - ``drag``: ``-drag``: the model's predicted return beyond ``leverage * r_qqq``, which a QQQ position cannot
      hold (a replica earns ``leverage * r_qqq`` minus its own financing);
    - ``model``: ``-(r_tqqq - leverage * r_qqq - drag)``: minus the model-level error;
    - ``tracking``: ``replica - r_tqqq``, their sum.
    """
    missing = [c for c in _SESSION_COLUMNS if c not in sessions.columns]
    if missing:
        raise InputError(f"replica_attribution: sessions lack columns {missing}")
    s = sessions
    gap = s["fill_price"] / s["close_prev"] - 1.0
    rest = s["close"] / s["fill_price"] - 1.0
    pnl = (s["shares_before"] * (s["fill_price"] - s["close_prev"]) + s["shares_after"] * (s["close"] - s["fill_price"]))
    out = pd.DataFrame(index=s.index)
    out["before_fill"] = (s["shares_before"] * s["close_prev"] / s["equity_prev"] - s["leverage"]) * gap
    out["after_fill"] = (s["shares_after"] * s["fill_price"] / s["equity_prev"]
                         - s["leverage"] * s["fill_price"] / s["close_prev"]) * rest
    out["fees"] = -s["fees"] / s["equity_prev"]
    out["cash"] = s["replica"] - (pnl - s["fees"]) / s["equity_prev"]
    out["drag"] = -s["drag"]
    out["model"] = -(s["r_tqqq"] - s["leverage"] * s["r_qqq"] - s["drag"])
    out["tracking"] = s["replica"] - s["r_tqqq"]
    return out


def attribution_table(attribution: pd.DataFrame) -> pd.DataFrame:
    """Per component of :func:`replica_attribution`: its own annualised volatility (``alone``), the tracking error
    without it (``without``), and its mean per year (``mean``); the last row is the replica's tracking error."""
    annual = np.sqrt(PERIODS_PER_YEAR)
    total = attribution["tracking"]
    rows = {name: {"alone": attribution[name].std() * annual, "without": (total - attribution[name]).std() * annual,
                   "mean": attribution[name].mean() * PERIODS_PER_YEAR} for name in REPLICA_COMPONENTS}
    rows["tracking"] = {"alone": total.std() * annual, "without": 0.0, "mean": total.mean() * PERIODS_PER_YEAR}
    return pd.DataFrame.from_dict(rows, orient="index")


def simulate_returns(inputs: pd.DataFrame, params: BaselineParams = DEFAULT_BASELINE) -> pd.Series:
    """Simulated TQQQ return of every session after the first (NaN where IRX is missing)."""
    check_inputs(inputs)
    r_qqq = inputs["qqq"].pct_change(fill_method=None)
    simulated = params.leverage * r_qqq + baseline_drag(inputs["irx"].shift(1), params)
    simulated.name = "r_tqqq_simulated"
    return simulated


def simulate_tqqq(inputs: pd.DataFrame, params: BaselineParams = DEFAULT_BASELINE, *, splice: bool = True,
                  start_value: float = 100.0) -> pd.Series:
    """A TQQQ close series over all of ``inputs``' sessions.

    With ``splice`` (default) and real TQQQ present, the series equals the real closes from TQQQ's first
    session on, and before it compounds the simulated returns backwards from that close. Without real TQQQ
    (or ``splice=False``) it starts at ``start_value`` on the first session. Raises :class:`InputError` if a
    simulated return is missing (IRX gap) or the path reaches zero.
    """
    check_inputs(inputs)
    if not start_value > 0:
        raise InputError(f"start_value must be > 0, got {start_value}")
    returns = simulate_returns(inputs, params).iloc[1:]
    if returns.isna().any():
        raise InputError(f"simulated return missing on {returns.index[returns.isna()][0].date()}: IRX has no "
                         "value at the previous close; align the inputs with a fill limit for irx")
    growth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    if (growth <= 0).any():
        raise InputError("the simulated path reaches zero (a QQQ fall of over 1/3 in one session)")
    path = pd.Series(start_value * growth, index=inputs.index, name="close")
    real = inputs["tqqq"].dropna()
    if not splice or real.empty:
        return path
    inception = real.index[0]
    before = path.loc[:inception]
    simulated = before * (real.iloc[0] / before.iloc[-1])
    spliced = pd.concat([simulated.iloc[:-1], real])
    spliced.name = "close"
    return spliced


def write_close_csv(closes: pd.Series, path: str | os.PathLike[str]) -> Path:
    """Write ``Date,Close`` (dates ``YYYY-MM-DD``, closes to 6 decimals); returns the path written."""
    if not isinstance(closes, pd.Series) or closes.empty:
        raise InputError("write_close_csv: expected a non-empty Series of closes indexed by date")
    values = closes.astype(float)
    if not np.isfinite(values).all() or (values <= 0).any():
        raise InputError("write_close_csv: closes must be finite and > 0")
    index = pd.DatetimeIndex(values.index)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("write_close_csv: dates must be strictly increasing")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"Date": index.strftime("%Y-%m-%d"), "Close": values.to_numpy()})
    frame.to_csv(target, index=False, float_format="%.6f")
    return target
