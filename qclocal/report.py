"""``qclocal report``: a backtest folder -> ``report.md`` + ``report.png`` (equity vs benchmark, drawdown)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from qclocal import outputs  # noqa: E402


def _series(points: list[dict]) -> pd.Series:
    if not points:
        return pd.Series(dtype=float)
    s = pd.Series({pd.Timestamp(p["x"], unit="s"): p["y"] for p in points}, dtype=float)
    s = s[~s.index.duplicated(keep="last")].sort_index()
    # a midnight sample describes the day before it: shift a second back, then keep one value per day
    return s.groupby((s.index - pd.Timedelta(seconds=1)).normalize()).last()


def load_result(folder: Path) -> tuple[dict, Path]:
    folder = Path(folder)
    candidates = [p for p in folder.glob("*.json") if not p.name.endswith("order-events.json")
                  and p.name != "config.json" and not p.name.startswith(".")]
    if not candidates:
        raise FileNotFoundError(f"{folder} holds no backtest result JSON; run `qclocal backtest <project>` first")
    return json.loads(candidates[0].read_text()), candidates[0]


def make_report(folder: Path, title: str | None = None) -> Path:
    result, path = load_result(folder)
    charts = result.get("charts", {})
    equity = _series(charts.get("Strategy Equity", {}).get("Equity", []))
    bench = _series(charts.get("Benchmark", {}).get("Benchmark", []))
    title = title or path.stem
    extra = {name: chart for name, chart in charts.items() if name not in ("Strategy Equity", "Benchmark")
             and any(len(points) > 1 for points in chart.values())}
    rows = 2 + len(extra)
    fig, axes = plt.subplots(rows, 1, figsize=(10, 7 + 2.2 * len(extra)), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1] + [1.5] * len(extra)})
    if len(equity):
        daily = equity
        axes[0].plot(daily.index, daily / daily.iloc[0] * 100, label="Strategy", lw=1.4)
        drawdown = daily / daily.cummax() - 1
        axes[1].fill_between(drawdown.index, drawdown * 100, 0, color="tab:red", alpha=0.4)
    if len(bench) and (bench > 0).any():
        b = bench[bench > 0]
        axes[0].plot(b.index, b / b.iloc[0] * 100, label="Benchmark", lw=1.0, color="gray")
    axes[0].set_title(f"{title}: growth of 100")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    axes[1].set_ylabel("drawdown %")
    axes[1].grid(alpha=0.3)
    for ax, (name, chart) in zip(axes[2:], extra.items(), strict=True):  # the algorithm's own plot() charts
        for series_name, points in chart.items():
            series = _series(points)
            ax.plot(series.index, series.to_numpy(), lw=1.0, label=series_name)
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    png, md = path.parent / "report.png", path.parent / "report.md"
    _check_writable(path.parent, [png, md])
    fig.savefig(png, dpi=110)
    plt.close(fig)
    stats = result.get("statistics", {})
    lines = [f"# {title}", "", f"Status: {result.get('status')}", "", "![equity](report.png)", "",
             "| statistic | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in stats.items()]]
    if extra:
        lines += ["", "Algorithm charts (plotted below the drawdown): " + ", ".join(extra)]
    md.write_text("\n".join(lines) + "\n")
    outputs.record(path.parent, [png.name, md.name], "qclocal report")
    return md


def _check_writable(folder: Path, files: list[Path]) -> None:
    """A report replaces only report files qclocal wrote before."""
    ours = outputs.written_files(folder)
    foreign = [f.name for f in files if f.exists() and f.name not in ours]
    if foreign:
        raise outputs.OutputError(f"{folder} already holds {', '.join(foreign)}, which qclocal did not write; "
                                  f"nothing was changed. Move it away, then rerun `qclocal report`.")


def latest_backtest(project: Path) -> Path:
    runs = sorted(p for p in (Path(project) / "backtests").glob("*/") if not p.name.startswith("."))
    if not runs:
        raise FileNotFoundError(f"{project} has no backtests yet; run `qclocal backtest {project}`")
    return runs[-1]
