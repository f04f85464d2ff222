"""Tables and figures of the research notebook: per-pair results, spreads with entries, equity, calibration."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .evaluation import PairBacktest

__all__ = ["results_table", "plot_spread", "plot_equity", "plot_calibration", "plot_confusions"]


def results_table(rows: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """One row per pair from ``{pair: {column: value}}`` (flat dicts), columns in first-seen order."""
    return pd.DataFrame.from_dict({k: dict(v) for k, v in rows.items()}, orient="index")


def plot_spread(signals: pd.DataFrame, result: PairBacktest | None, title: str, ax=None):
    """The z-score of a pair's spread with the entry decisions (long: up triangles, short: down)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(11, 3))[1]
    ax.plot(signals.index, signals["z"], color="black", lw=0.8, label="z")
    if result is not None and len(result.trades):
        entries = result.trades[result.trades["kind"] == "enter"]
        for direction, marker, color in ((1, "^", "green"), (-1, "v", "red")):
            rows = entries[entries["direction"] == direction]
            ax.scatter(rows["time"], rows["z"], marker=marker, color=color, s=25,
                       label="long spread" if direction > 0 else "short spread")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_equity(curves: Mapping[str, pd.Series], title: str, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(11, 4))[1]
    for name, curve in curves.items():
        ax.plot(curve.index, curve.to_numpy(), label=name, lw=1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_calibration(tables: Mapping[str, pd.DataFrame], title: str = "Calibration of P (test period)"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    for name, table in tables.items():
        ax.plot(table["mean_probability"], table["observed"], marker="o", label=name)
    ax.set_xlabel("mean P")
    ax.set_ylabel("observed reversion frequency")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_confusions(matrices: Mapping[str, list], title: str = "Confusion matrices (test period)"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(matrices), figsize=(2.6 * len(matrices), 2.6), squeeze=False)
    for ax, (name, cm) in zip(axes[0], matrices.items(), strict=True):
        ax.imshow(cm, cmap="Blues")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(cm[i][j]), ha="center", va="center")
        ax.set_xticks([0, 1], ["pred 0", "pred 1"])
        ax.set_yticks([0, 1], ["true 0", "true 1"])
        ax.set_title(name, fontsize=9)
    fig.suptitle(title)
    return axes
