"""Tables and figures for the notebook, the docs and the real-data report."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["SOURCE_CLAIM", "comparison_table", "plot_reliability", "plot_importance", "plot_equity"]

# The source's claimed results (no public record; docs/russell_qpi.md)
SOURCE_CLAIM = {"car": 0.274, "sharpe": 1.17, "max_drawdown": 0.46, "win_rate": 0.62}
COLUMNS = ["car", "sharpe", "max_drawdown", "win_rate", "trades", "turnover", "adv_share_mean", "adv_share_max"]


def comparison_table(stats: Mapping[str, Mapping[str, float]], *, claim: bool = True) -> pd.DataFrame:
    """One row per variant (full, no_gate, ...) plus the source's claim, in :data:`COLUMNS` order."""
    rows = {name: {c: s.get(c) for c in COLUMNS} for name, s in stats.items()}
    if claim:
        rows["source claim"] = {c: SOURCE_CLAIM.get(c) for c in COLUMNS}
    return pd.DataFrame.from_dict(rows, orient="index")[COLUMNS].astype(float)


def plot_reliability(tables: Mapping[str, pd.DataFrame], *, title: str = "Reliability on validation rows"):
    """Observed frequency against mean predicted probability, one line per side; the diagonal is calibrated."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0.3, 0.8], [0.3, 0.8], color="grey", lw=1, ls="--", label="calibrated")
    for name, table in tables.items():
        ax.plot(table["mean_p"], table["observed"], marker="o", label=name)
    ax.axvline(0.6, color="red", lw=0.8, ls=":", label="P = 0.60 gate")
    ax.set(xlabel="mean predicted P", ylabel="observed frequency", title=title)
    ax.legend()
    return fig


def plot_importance(importance: pd.DataFrame, *, title: str = "Permutation importance (validation AUC drop)"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    importance.plot.barh(ax=ax)
    ax.set(title=title, xlabel="AUC drop")
    fig.tight_layout()
    return fig


def plot_equity(curves: Mapping[str, pd.Series], *, title: str = "Research backtest"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, curve in curves.items():
        ax.plot(curve.index, curve / curve.iloc[0], label=name)
    ax.set(yscale="log", title=title, ylabel="growth of 1")
    ax.legend()
    return fig
