"""russell_qpi speed (issue 11, and issue 14's 500-symbol daily universe): the cost of the algorithm's daily step
over N names, part by part, and the wall and CPU time of a whole qclocal backtest (real or synthetic data).

    python benchmarks/russell_qpi/speed.py step --names 500 --days 250
    python benchmarks/russell_qpi/speed.py backtest --data-folder /work/russell-data/data \\
        --store /work/russell-data/store --start 2016-01-01 --end 2020-12-11
    python benchmarks/russell_qpi/speed.py synthetic --root /work/russell-bench-data [--baseline ../base]

``step`` replays the algorithm's daily work outside the engine on a random 500-name market with the library
functions ``algorithms/russell_qpi`` calls: append the day's bars (``RecentBars.append``), the features of every
name (``RecentBars.latest``: numpy on the last 21 bars), the gate probabilities of the QPI candidates (two
HistGradientBoosting models of the default size, fitted on random rows), the entries and the ADV cap. It also
times the former pandas path (``compute_features`` on the 30-bar frames) for the ratio. Medians of CPU ms per day
(``time.process_time``: on the shared machine wall times swing with the load; CPU time much less).
``backtest`` runs ``qclocal`` once and reports wall and CPU seconds (``resource.getrusage``). Every figure is
printed with the 1-minute load average.
``synthetic`` is the offline, reproducible 500-name backtest: the ``reversal`` market with 500 names and the demo's
model (``qclocal demo --strategy russell_qpi``) are made once under ``--root``, then each run is a fresh child
interpreter (``backtest_child.py``) timed from outside with ``os.wait4``, alternated with ``--baseline``'s checkout
when given; orders and final equity must match. JSON copy in ``benchmarks/results/``.
"""

from __future__ import annotations

import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from time import process_time as cpu

import click
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE.parent / "results"
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


# --------------------------------------------------------------------------- synthetic: 500 names, offline

def _synthetic_market(data: Path, stocks: int, seed: int, start: str, end: str) -> str:
    """The ``reversal`` market with ``stocks`` names written into ``data`` as ``qclocal data generate reversal``
    writes it (the scenario registry has no ``n_stocks``, so the calls it makes, with ``n_stocks``); skipped when
    ``data`` already holds that market. Returns what was done."""
    from qclocal.data import provenance
    from qclocal.data.synthetic import VERSION, reversal
    from qclocal.data.synthetic.core import sessions
    from qclocal.data.synthetic.output import truth_path, write_market

    index = sessions(start, end)
    path = truth_path(data, reversal.NAME)
    want = {"seed": seed, "n_stocks": stocks, "version": VERSION, "start": index[0].date().isoformat(),
            "end": index[-1].date().isoformat()}
    if path.is_file():
        truth = json.loads(path.read_text())
        if {k: truth.get(k) for k in want} == want:
            return f"kept ({path})"
    started = time.perf_counter()
    market = reversal.simulate(index, seed, n_stocks=stocks)
    market.truth = {**market.truth, "scenario": reversal.NAME, "seed": seed, "version": VERSION,
                    "start": want["start"], "end": want["end"], "sessions": len(index)}
    with provenance.writing(data, f"synthetic:{reversal.NAME}"):
        write_market(data, reversal.NAME, market)
    return f"generated in {time.perf_counter() - started:.0f} s wall"


def _trained_models(root: Path, data: Path, store: Path, end: str, new_market: bool) -> str:
    """The model timeline of ``qclocal demo --strategy russell_qpi`` (its notebook parameters, plus ``end``: the
    data stop there) trained into ``store``; skipped when the store already holds its cutoff and the market was
    not just (re)generated."""
    from qclocal.cli import DEMOS
    from qclocal.research import run_notebook

    params = {**DEMOS["russell_qpi"][2], "end": end}
    if not new_market and (store / q.STRATEGY / params["last_cutoff"]).is_dir():
        return f"kept ({store / q.STRATEGY})"
    started = time.perf_counter()
    run_notebook(REPO / "research" / "russell_qpi.ipynb", params, output=root / "notebook" / time.strftime(
        "%Y%m%d-%H%M%S"), data_folder=data, object_store=store, echo=lambda line: None)
    if not (store / q.STRATEGY / params["last_cutoff"]).is_dir():
        raise click.ClickException(f"the notebook ran but {store / q.STRATEGY / params['last_cutoff']} is missing")
    return f"trained in {time.perf_counter() - started:.0f} s wall ({params})"


def _run_child(repo: Path, data: Path, store: Path, parameters: dict[str, str], profile: Path | None = None
               ) -> dict:
    """One backtest of ``repo``'s checkout in a fresh interpreter (PYTHONPATH and cwd ``repo``); its report plus
    the child's wall and CPU seconds and peak RSS (``os.wait4`` rusage) and the 1-minute load at its start."""
    with tempfile.NamedTemporaryFile(prefix="russell-synthetic-", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    command = [sys.executable, str(HERE / "backtest_child.py"), "--repo", str(repo), "--data", str(data),
               "--store", str(store), "--parameters", json.dumps(parameters), "--out", str(out)]
    if profile is not None:
        command += ["--profile-out", str(profile)]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    load_at_start = load()
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=repo, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise click.ClickException(f"the backtest child for {repo} failed: {' '.join(command)}")
        report = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    cpu_s = usage.ru_utime + usage.ru_stime
    years = ((pd.Timestamp(report["end"]) - pd.Timestamp(report["start"])).days + 1) / 365.25
    report.update({"checkout": str(repo), "load": load_at_start, "wall_s": wall, "cpu_s": cpu_s,
                   "peak_mb": usage.ru_maxrss / 1024, "years": years, "cpu_s_per_year": cpu_s / years,
                   "engine_cpu_s_per_year": report["engine_cpu_s"] / years,
                   "cpu_us_per_bar": cpu_s / report["bars"] * 1e6 if report["bars"] else None})
    return report


SUMMARY = ("cpu_s", "wall_s", "engine_cpu_s", "cpu_s_per_year", "engine_cpu_s_per_year", "cpu_us_per_bar",
           "peak_mb", "load")
SAME = ("start", "end", "years", "sessions", "bars", "universe", "orders", "orders_sha256", "final_equity")


def _summary(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in SUMMARY}
    out.update({k: runs[-1][k] for k in SAME})
    out["runs_identical"] = all({k: r[k] for k in SAME} == {k: runs[0][k] for k in SAME} for r in runs)
    return out


def _row(name: str, r: dict) -> str:
    return (f"{name:<10} cpu {r['cpu_s']:6.1f} s  wall {r['wall_s']:6.1f} s  engine cpu {r['engine_cpu_s']:6.1f} s  "
            f"{r['cpu_s_per_year']:5.1f} cpu-s/yr  {r['cpu_us_per_bar']:5.1f} us/bar  peak {r['peak_mb']:5.0f} MB  "
            f"load {r['load']:4.1f}  orders {r['orders']} ({r['orders_sha256']})  equity {r['final_equity']:,.2f}")


@main.command()
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Kept between runs: <root>/data (the market), <root>/store (the models).")
@click.option("--start", default="2016-01-01", show_default=True, help="Backtest start.")
@click.option("--end", default="2017-12-31", show_default=True, help="Backtest end (and the data's).")
@click.option("--variant", type=click.Choice(sorted(q.ABLATIONS)), default="full", show_default=True)
@click.option("--stocks", default=500, show_default=True, help="Names in the reversal market.")
@click.option("--repeat", default=2, show_default=True, help="Runs per checkout; medians are reported.")
@click.option("--baseline", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Another checkout, run alternately with this one on the same data and models.")
@click.option("--profile", is_flag=True, help="Instead of timing, one run under cProfile: print the hot spots.")
def synthetic(root: Path, start: str, end: str, variant: str, stocks: int, repeat: int, baseline: Path | None,
              profile: bool) -> None:
    """A 500-name daily universe backtest on the synthetic ``reversal`` market, offline and reproducible."""
    from qclocal.cli import DEMOS
    from qclocal.data.calendars import session_dates

    root = root.resolve()
    data, store = root / "data", root / "store"
    scenario, seed, notebook = DEMOS["russell_qpi"]
    market = _synthetic_market(data, stocks, seed, notebook["history_start"], end)
    click.echo(f"market: {scenario} seed {seed}, {stocks} names, {notebook['history_start']}..{end}: {market}")
    click.echo(f"models: {_trained_models(root, data, store, end, market.startswith('generated'))}")
    parameters = {"start": start, "end": end,
                  **{k.replace("_", "-"): str(v).lower() for k, v in q.ABLATIONS[variant].items()}}
    checkouts = {"this": REPO, **({"baseline": baseline.resolve()} if baseline else {})}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    if profile:
        path = RESULTS / f"russell_qpi-synthetic-{stamp}.prof"
        r = _run_child(REPO, data, store, parameters, path)
        click.echo(f"under cProfile: {r['cpu_s']:.1f} CPU s, {r['wall_s']:.1f} s wall; {path}")
        for key in ("tottime", "cumulative"):
            pstats.Stats(str(path)).strip_dirs().sort_stats(key).print_stats(30)
        return
    sessions = len(session_dates(start, end))
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for i in range(repeat):
        for name in (list(checkouts) if i % 2 == 0 else list(reversed(checkouts))):
            r = _run_child(checkouts[name], data, store, parameters)
            r["sessions"] = sessions
            runs[name].append(r)
            click.echo(f"run {i + 1}/{repeat} " + _row(name, r))
    rows = {name: _summary(r) for name, r in runs.items()}
    click.echo(f"\nrussell_qpi {variant}, {stocks}-name reversal market, {start}..{end} ({sessions} sessions), "
               f"medians of {repeat}:")
    for name, row in rows.items():
        click.echo(_row(name, row) + ("" if row["runs_identical"] else "  RUNS DIFFER"))
    report = {"date": started, "variant": variant, "stocks": stocks, "seed": seed, "start": start, "end": end,
              "repeat": repeat, "notebook": {**notebook, "end": end}, "root": str(root), "cores": os.cpu_count(),
              "checkouts": {k: str(v) for k, v in checkouts.items()}, "summary": rows, "runs": runs}
    if baseline:
        this, base = rows["this"], rows["baseline"]
        same = {k: this[k] == base[k] for k in ("orders", "orders_sha256", "final_equity")}
        report["comparison"] = {"cpu_this_over_baseline": this["cpu_s"] / base["cpu_s"],
                                "engine_cpu_this_over_baseline": this["engine_cpu_s"] / base["engine_cpu_s"],
                                "wall_this_over_baseline": this["wall_s"] / base["wall_s"], **same,
                                "identical": all(same.values())}
        c = report["comparison"]
        click.echo(f"this / baseline: CPU {c['cpu_this_over_baseline']:.3f}x, engine CPU "
                   f"{c['engine_cpu_this_over_baseline']:.3f}x, wall {c['wall_this_over_baseline']:.3f}x; orders and "
                   f"final equity {'identical' if c['identical'] else 'DIFFER: ' + json.dumps(same)}")
    path = RESULTS / f"russell_qpi-synthetic-{stamp}.json"
    path.write_text(json.dumps(report, indent=1))
    click.echo(f"results: {path}")


if __name__ == "__main__":
    main()
