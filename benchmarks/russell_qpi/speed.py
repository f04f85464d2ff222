"""russell_qpi speed (issue 11, and issue 14's 500-symbol daily universe): the cost of the algorithm's daily step
over N names, part by part, and the wall and CPU time of a whole qclocal backtest.

    python benchmarks/russell_qpi/speed.py step --names 500 --days 250
    python benchmarks/russell_qpi/speed.py backtest --data-folder /work/russell-data/data \\
        --store /work/russell-data/store --start 2016-01-01 --end 2020-12-11

``step`` replays the algorithm's daily work outside the engine on a random 500-name market with the library
functions ``algorithms/russell_qpi`` calls: append the day's bars (``RecentBars.append``), the features of every
name (``RecentBars.latest``: numpy on the last 21 bars), the gate probabilities of the QPI candidates (two
HistGradientBoosting models of the default size, fitted on random rows), the entries and the ADV cap. It also
times the former pandas path (``compute_features`` on the 30-bar frames) for the ratio. Medians of CPU ms per day
(``time.process_time``: on the shared machine wall times swing with the load; CPU time much less).
``backtest`` runs ``qclocal`` once and reports wall and CPU seconds (``resource.getrusage``). Every figure is
printed with the 1-minute load average.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from time import process_time as cpu

import click
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Library"))

from models import russell_qpi as q  # noqa: E402
from models.russell_qpi.model import fit  # noqa: E402


def load() -> float:
    return os.getloadavg()[0]


def _market(names: int, days: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=days + q.HISTORY_BARS)
    tickers = [f"N{k:03d}" for k in range(names)]
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(index), names)), axis=0))
    volume = rng.lognormal(13, 0.5, (len(index), names))
    return pd.DataFrame(close, index, tickers), pd.DataFrame(volume, index, tickers)


@click.group()
def main() -> None:
    pass


@main.command()
@click.option("--names", default=500, show_default=True)
@click.option("--days", default=250, show_default=True)
@click.option("--seed", default=0, show_default=True)
def step(names: int, days: int, seed: int) -> None:
    """Median ms per day of each part of the algorithm's daily step over ``names`` names."""
    close, volume = _market(names, days, seed)
    rules = q.Rules()
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20_000, len(q.FEATURE_NAMES)))
    models = {}
    for side in q.SIDES:
        y = (X[:, 0] + rng.normal(size=len(X)) > 0).astype(int)
        models[side] = fit(q.build_classifier(), X, y)
    bars = q.features.RecentBars()
    warm = q.HISTORY_BARS
    bars.seed(close.iloc[:warm], volume.iloc[:warm])
    wall = time.perf_counter()
    parts: dict[str, list[float]] = {k: [] for k in ("append", "features", "gate", "entries", "adv_cap", "total",
                                                     "pandas_features")}
    load_before = load()
    for day in close.index[warm:]:
        t0 = cpu()
        bars.append(day, close.loc[day].to_dict(), volume.loc[day].to_dict())
        t1 = cpu()
        latest = bars.latest(list(close.columns))
        t2 = cpu()
        features = pd.DataFrame({name: latest[name] for name in q.FEATURE_NAMES})
        probs = []
        for side, mask in (("long", latest["qpi"] < rules.qpi_long_max), ("short", latest["qpi"] > rules.qpi_short_min)):
            rows = features[mask].dropna()
            probs.append(pd.Series(q.probability(models[side], rows.to_numpy()), index=rows.index, dtype=float))
        t3 = cpu()
        longs, shorts = q.entries(latest["qpi"], probs[0], probs[1], [], 0, 0, rules)
        t4 = cpu()
        adv = bars.adv_dollars(rules.adv_window)
        for ticker in longs + shorts:
            q.cap_weight(q.target_weight("long" if ticker in longs else "short", False, rules),
                         float(adv.get(ticker, 0.0)), 1e6, rules)
        t5 = cpu()
        q.compute_features(bars.close, bars.volume)               # the former pandas path, for the ratio
        t6 = cpu()
        for key, seconds in (("append", t1 - t0), ("features", t2 - t1), ("gate", t3 - t2), ("entries", t4 - t3),
                             ("adv_cap", t5 - t4), ("total", t5 - t0), ("pandas_features", t6 - t5)):
            parts[key].append(seconds * 1e3)
    report = {"names": names, "days": days, "load_before": load_before, "load_after": load(),
              "wall_s": round(time.perf_counter() - wall, 1),
              **{f"{k}_cpu_ms_median": round(statistics.median(v), 3) for k, v in parts.items()}}
    report["pandas_over_numpy_features"] = round(report["pandas_features_cpu_ms_median"]
                                                 / report["features_cpu_ms_median"], 1)
    print(json.dumps(report, indent=1))


@main.command()
@click.option("--data-folder", type=click.Path(path_type=Path), required=True)
@click.option("--store", type=click.Path(path_type=Path), required=True)
@click.option("--start", default="2016-01-01", show_default=True)
@click.option("--end", default="2020-12-11", show_default=True)
@click.option("--variant", default="full", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("/tmp/russell_qpi-speed"), show_default=True)
def backtest(data_folder: Path, store: Path, start: str, end: str, variant: str, out: Path) -> None:
    """Wall and CPU seconds of one qclocal backtest (imports excluded), with the load."""
    from qclocal.backtest import backtest as run_backtest

    params = {"start": start, "end": end,
              **{k.replace("_", "-"): str(v).lower() for k, v in q.ABLATIONS[variant].items()}}
    load_before = load()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    result, _ = run_backtest(REPO / "algorithms" / "russell_qpi", params, data_folder=data_folder,
                             object_store=store, output=out, show_progress=False)
    wall = time.perf_counter() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(json.dumps({"variant": variant, "start": start, "end": end, "status": result.status, "wall_s": round(wall, 1),
                      "cpu_s": round(cpu, 1), "load_before": load_before, "load_after": load(),
                      "orders": len(result.orders)}, indent=1))


if __name__ == "__main__":
    main()
