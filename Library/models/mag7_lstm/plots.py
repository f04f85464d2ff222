"""Research plots, each returning a ``matplotlib.figure.Figure`` (no pyplot state; works headless).

matplotlib is imported inside the functions: it is in the LEAN research image and in this project's
environment, but the rest of the library does not need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["plot_equity", "plot_ic", "plot_weights"]


def _figure(width: float = 9.0, height: float = 4.0) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_equity(curves: Mapping[str, pd.Series | Any], *, title: str = "Equity (log scale)") -> Any:
    """Equity curves (Series, or results with ``.equity``), rebased to 1, on a log axis."""
    fig = _figure()
    ax = fig.add_subplot()
    for name, curve in curves.items():
        series = getattr(curve, "equity", curve).dropna()
        ax.plot(series.index, series / series.iloc[0], label=name)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def plot_ic(ic: pd.Series | Mapping[str, pd.Series], *, title: str = "Information coefficient per rebalance"
            ) -> Any:
    """Per-date IC bars (one Series) or lines (several), with each series' running mean."""
    fig = _figure()
    ax = fig.add_subplot()
    series = {"IC": ic} if isinstance(ic, pd.Series) else dict(ic)
    for name, values in series.items():
        values = values.dropna()
        if len(series) == 1:
            ax.bar(values.index, values.to_numpy(), width=20, alpha=0.5, label=name)
        else:
            ax.plot(values.index, values.to_numpy(), alpha=0.4, label=name)
        ax.plot(values.index, values.expanding().mean().to_numpy(), linewidth=2, label=f"{name} running mean")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def plot_weights(weights: pd.DataFrame, *, title: str = "End-of-day weights") -> Any:
    """Stacked area of the portfolio weights over time (cash is the gap below 1)."""
    fig = _figure()
    ax = fig.add_subplot()
    shown = weights.loc[:, weights.abs().sum() > 0].clip(lower=0)
    ax.stackplot(shown.index, shown.T.to_numpy(), labels=list(shown.columns))
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="upper left", ncol=5, fontsize="small")
    return fig
