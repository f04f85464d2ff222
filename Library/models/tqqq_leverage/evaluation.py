"""Evaluation: the source's table, tracking error per calendar year, terminal-wealth error, the figure.

Everything works on a *tracking frame* (:func:`tracking_frame`): one row per session t with the day's
``r_qqq`` and ``r_tqqq``, and the ``leverage`` and ``drag`` predicted at the close of t-1, so
``r_pred = leverage * r_qqq + drag`` is the predicted TQQQ return (a model can be evaluated only on what it
knew the evening before).

Definitions used by :func:`source_table` (annualised with 252 sessions):

- ``return_correlation``: Pearson correlation of ``r_tqqq`` and ``r_pred``.
- ``tracking_error``: ``std(r_tqqq - r_pred) * sqrt(252)``.
- ``mean_actual_leverage``: mean of the trailing 21-session OLS slope of ``r_tqqq`` on ``r_qqq``
  (:func:`~models.tqqq_leverage.target.rolling_leverage`; the ratio ``r_tqqq / r_qqq`` is ill-conditioned).
- ``mean_predicted_leverage``: mean of ``leverage``.
- ``leverage_correlation``: correlation of that rolling slope with the 21-session mean of ``leverage`` over
  the same sessions.
- ``volatility_actual`` / ``volatility_predicted``: ``std * sqrt(252)`` of ``r_tqqq`` / ``r_pred``.
- ``max_drawdown_actual`` / ``max_drawdown_predicted``: largest peak-to-trough fall of the compounded returns,
  as a positive fraction.
- ``terminal_wealth_actual`` / ``terminal_wealth_predicted``: ``prod(1 + r)``; ``terminal_wealth_error`` =
  ``predicted / actual - 1``; ``tracking_difference``: ``mean(r_pred - r_tqqq) * 252``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .baseline import PERIODS_PER_YEAR
from .inputs import InputError, check_inputs
from .target import daily_returns, rolling_leverage

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SOURCE_TABLE", "tracking_frame", "source_table", "per_year_tracking_error", "terminal_wealth_error",
           "max_drawdown", "format_table", "cumulative_returns_figure"]

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
    from .predict import predict_frame

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
