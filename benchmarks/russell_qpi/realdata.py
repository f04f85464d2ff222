"""Real-data study (issue 11's report): train on ../shared/market-data's 400-name universe through 2015, test
2016-2020 with qclocal after costs, for the full strategy and each ablation.

    qclocal data import --source ../shared/market-data --tickers "$(paste -sd, ../shared/market-data/universe.txt),VIX,SPY,IRX" --data-folder /tmp/qpi/real
    nice python benchmarks/russell_qpi/realdata.py choose --data-folder /tmp/qpi/real --out /tmp/qpi/real-results
    nice python benchmarks/russell_qpi/realdata.py train --data-folder /tmp/qpi/real --store /tmp/qpi/real-store --out /tmp/qpi/real-results
    nice python benchmarks/russell_qpi/realdata.py backtest --data-folder /tmp/qpi/real --store /tmp/qpi/real-store --out /tmp/qpi/real-results

``train`` writes the model timeline (quarterly refits 2016-01-01..2020-10-01: each model learns only from labels
that end before its cutoff and serves the quarter it opens), the out-of-sample calibration and hit rates, and the
research-backtest table. ``choose`` compares HistGB with GB on validation windows inside the training period
(quarterly cutoffs 2014-01..2015-07). ``backtest`` runs qclocal for each
variant and writes the statistics. Results go to ``--out`` as JSON and CSV; nothing is written in the repository.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

import click
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Library"))

from models import russell_qpi as q  # noqa: E402
from models.lean_history import wide  # noqa: E402

TEST_START, TEST_END = "2016-01-01", "2020-12-11"     # ohlcv files end 2020-12-11
CUTOFFS = q.quarterly_cutoffs("2016-01-01", "2020-10-01")       # each model serves the quarter it opens
# model choice: quarterly cutoffs whose 63-session validation windows end before 2016
SELECTION_CUTOFFS = q.quarterly_cutoffs("2014-01-01", "2015-07-01")


def load(data_folder: Path):
    from qclocal.engine.enums import Resolution
    from qclocal.research import QuantBook

    tickers = (REPO.parent / "shared" / "market-data" / "universe.txt").read_text().split()
    qb = QuantBook(data_folder=data_folder, object_store=data_folder / "unused-store")
    symbols = [qb.add_equity(t, Resolution.DAILY).symbol for t in tickers]
    history = qb.history(symbols, datetime(2000, 1, 1), datetime(2021, 1, 1), Resolution.DAILY)
    vix = wide(qb.history([qb.add_index("VIX", Resolution.DAILY).symbol], datetime(2000, 1, 1),
                          datetime(2021, 1, 1), Resolution.DAILY), "close")["VIX"]
    return wide(history, "open"), wide(history, "close"), wide(history, "volume"), vix


@click.group()
def main() -> None:
    pass


@main.command()
@click.option("--data-folder", type=click.Path(path_type=Path), required=True)
@click.option("--store", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--max-train", default=200_000, show_default=True, help="training rows per side and cutoff")
def train(data_folder: Path, store: Path, out: Path, max_train: int) -> None:
    from qclocal.object_store import ObjectStore

    out.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    t0 = time.perf_counter()
    open_, close, volume, vix = load(data_folder)
    panel = q.sample_panel(close, volume)
    report["load_and_features_seconds"] = time.perf_counter() - t0
    report["panel_rows"] = len(panel)
    object_store = ObjectStore(store)
    models, cpu, started = [], time.process_time(), time.perf_counter()
    for cutoff in CUTOFFS:       # saved one by one, so a backtest can start on the first quarters
        models += q.train_timeline(panel, [cutoff], validation_periods=63, max_train=max_train, progress=False,
                                   log=print)
        q.save_trained(object_store, models[-1])
    report["train_seconds"] = time.perf_counter() - started
    report["train_cpu_seconds"] = time.process_time() - cpu
    report["train_seconds_per_cutoff"] = report["train_seconds"] / len(CUTOFFS)
    report["metrics"] = {str(m.cutoff): m.metrics for m in models}
    q.save_timeline(object_store, models, replace=True)          # drops stale cutoffs of earlier runs
    print(f"saved {len(models)} models to {store} ({report['train_seconds']:.0f}s wall, "
          f"{report['train_cpu_seconds']:.0f}s CPU)", flush=True)
    val = pd.concat([m.validation for m in models])
    rules = q.Rules()
    for side in q.SIDES:
        v = val[val["side"] == side]
        cand = v[v["qpi"] < rules.qpi_long_max] if side == "long" else v[v["qpi"] > rules.qpi_short_min]
        q.reliability(cand["label"], cand["p"]).to_csv(out / f"reliability_{side}.csv")
    q.hit_rate_by_qpi(val[val["side"] == "long"]).to_csv(out / "hit_rate_by_qpi_long_band.csv")
    q.hit_rate_by_qpi(val[val["side"] == "short"]).to_csv(out / "hit_rate_by_qpi_short_band.csv")
    q.feature_importance(models[-4:]).to_csv(out / "importance.csv")
    scores = q.score_panel(models, panel, rules)
    qpi = panel["qpi"].unstack().reindex(index=close.index, columns=close.columns)
    stats = {}
    for name in q.ABLATIONS:
        started = time.perf_counter()
        result = q.backtest(open_, close, volume, qpi, scores["p_long"].unstack(), scores["p_short"].unstack(), vix,
                            rules.variant(name), start=TEST_START, end=TEST_END)
        stats[name] = {**result.stats, "seconds": time.perf_counter() - started}
        print(name, stats[name], flush=True)
    report["research_backtest"] = stats
    q.comparison_table(stats).to_csv(out / "research_backtest.csv")
    (out / "train.json").write_text(json.dumps(report, indent=1, default=str))


@main.command()
@click.option("--data-folder", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--max-train", default=50_000, show_default=True, help="training rows per side and cutoff")
@click.option("--seeds", default="0", show_default=True, help="comma-separated seeds")
def choose(data_folder: Path, out: Path, max_train: int, seeds: str) -> None:
    """HistGradientBoosting against GradientBoosting on validation windows inside the training period only: the
    AUC of each (cutoff, side, seed) cell, and the paired difference with its standard error across cells."""
    out.mkdir(parents=True, exist_ok=True)
    _, close, volume, _ = load(data_folder)
    panel = q.sample_panel(close, volume)
    rows = []
    for seed in (int(s) for s in seeds.split(",")):
        for kind in ("hist", "gbm"):
            for cutoff in SELECTION_CUTOFFS:
                started = time.perf_counter()
                model = q.train(panel, cutoff, kind=kind, validation_periods=63, max_train=max_train, seed=seed)
                seconds = time.perf_counter() - started
                for side in q.SIDES:
                    rows.append({"kind": kind, "seed": seed, "cutoff": str(cutoff), "side": side, "seconds": seconds,
                                 "auc": model.metrics[f"validation_{side}_auc"],
                                 "n": model.metrics[f"validation_{side}_n"]})
                print(rows[-1], flush=True)
                pd.DataFrame(rows).to_csv(out / "model_choice.csv", index=False)
    table = pd.DataFrame(rows).pivot_table(index=["seed", "cutoff", "side"], columns="kind", values="auc")
    diff = table["hist"] - table["gbm"]
    summary = {"cells": len(diff), "hist_mean_auc": table["hist"].mean(), "gbm_mean_auc": table["gbm"].mean(),
               "mean_diff": diff.mean(), "diff_se": diff.std(ddof=1) / len(diff) ** 0.5,
               "hist_better_cells": int((diff > 0).sum()),
               "seconds": pd.DataFrame(rows).groupby("kind")["seconds"].sum().to_dict()}
    print(summary, flush=True)
    (out / "model_choice.json").write_text(json.dumps(summary, indent=1, default=str))


@main.command()
@click.option("--data-folder", type=click.Path(path_type=Path), required=True)
@click.option("--store", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--variants", default="full,no_gate,no_regime,longs_only")
def backtest(data_folder: Path, store: Path, out: Path, variants: str) -> None:
    from qclocal.backtest import backtest as run_backtest

    out.mkdir(parents=True, exist_ok=True)
    for name in variants.split(","):
        params = {"start": TEST_START, "end": TEST_END,
                  **{k.replace("_", "-"): str(v).lower() for k, v in q.ABLATIONS[name].items()}}
        started = time.perf_counter()
        result, folder = run_backtest(REPO / "algorithms" / "russell_qpi", params, data_folder=data_folder,
                                      object_store=store, output=out / f"backtest-{name}", show_progress=False)
        seconds = time.perf_counter() - started
        record = {"variant": name, "status": result.status, "seconds": seconds, "statistics": result.statistics,
                  "runtime": result.runtime_statistics, "folder": str(folder), "error": result.error}
        (out / f"qclocal_{name}.json").write_text(json.dumps(record, indent=1, default=str))
        print(name, result.status, f"{seconds:.0f}s", flush=True)


if __name__ == "__main__":
    main()
