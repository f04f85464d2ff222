"""SMA-crossover benchmark: qclocal against backtrader, nautilus_trader and a vectorised numpy floor.

    .venv/bin/python benchmarks/sma_crossover/run.py                     # 100 symbols x 2010-2019, 3 runs each
    .venv/bin/python benchmarks/sma_crossover/run.py --symbols 100 400   # two sizes: also CPU per bar 400 vs 100
    .venv/bin/python benchmarks/sma_crossover/run.py --repeat 1 --symbols 20 --engines qclocal floor
    .venv/bin/python benchmarks/sma_crossover/run.py --profile           # one qclocal run under cProfile

1. Writes deterministic bars for SYM000..SYMnnn (random walks, rounded to LEAN's 1/10000 dollar) into a temporary
   LEAN data folder: daily zips, map files and factor files (factor 1, so adjusted equals raw).
2. Runs each engine in its own subprocess (``run.py --child <engine>``), alternating the engines (and the sizes),
   ``--repeat`` times. The parent measures each child's wall time (interpreter start to exit: imports, reading
   the zips, the backtest), its CPU time and peak RSS (``os.wait4`` rusage of that child alone), and the 1-minute
   load average when it started. The child reports its own in-process time for the load-and-backtest part and
   what it traded.
3. Prints medians: wall and CPU seconds, bars/second, peak MB, qclocal's throughput over each other engine's,
   whether the fills are identical and how far apart the final equities are. A JSON copy goes to
   ``benchmarks/results/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
ENGINES = ("qclocal", "backtrader", "nautilus", "floor")
SEED = 20100104
TARGET_BACKTRADER = 6.0   # issue 14: qclocal at least 6x backtrader's throughput by CPU
TARGET_FLOOR = 4.0        # issue 14: qclocal within 4x of the vectorised floor
TARGET_SCALING = 1.2      # issue 14: CPU per bar at 400 symbols within 1.2x of that at 100


def tickers(count: int) -> list[str]:
    return [f"SYM{i:03d}" for i in range(count)]  # algorithm.py builds the same names


# ------------------------------------------------------------------------------------------ data generation

def generate(folder: Path, count: int, start_year: int, end_year: int) -> int:
    """Write the benchmark's bars into ``folder`` (a LEAN data folder); returns the number of sessions."""
    import numpy as np
    import pandas as pd

    from qclocal.data import writers
    from qclocal.data.calendars import session_dates

    days = session_dates(f"{start_year}-01-01", f"{end_year}-12-31")
    n = len(days)
    for i, ticker in enumerate(tickers(count)):
        rng = np.random.default_rng([SEED, i])
        start_price = rng.uniform(20.0, 200.0)
        log_close = np.log(start_price) + np.cumsum(rng.normal(0.0003, 0.018, n))
        close = np.exp(log_close)
        prev = np.concatenate([[start_price], close[:-1]])
        open_ = prev * np.exp(rng.normal(0.0, 0.004, n))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.008, n)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.008, n)))
        volume = rng.integers(100_000, 5_000_000, n)
        bars = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume},
                            index=days)
        stored_close = pd.Series(writers.stored_price(close), index=days)
        writers.write_equity_bars(folder, ticker, bars)
        writers.write_map_file(folder, ticker, days[0])
        writers.write_factor_file(folder, ticker, writers.factor_rows_from_adjusted(stored_close, stored_close))
    return n


# ------------------------------------------------------------------------------------------------ children

def child_qclocal(data: Path, count: int, start_year: int, end_year: int, profile: Path | None) -> dict:
    from qclocal.algorithm_imports import installed
    from qclocal.engine.enums import OrderStatus
    from qclocal.engine.runner import run_algorithm
    from qclocal.project import algorithm_class

    parameters = {"symbols": str(count), "start-year": str(start_year), "end-year": str(end_year)}
    started = time.perf_counter()
    with installed(), tempfile.TemporaryDirectory(prefix="qclocal-bench-store-") as store:
        algorithm = algorithm_class(HERE / "algorithm.py")()
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(run_algorithm, algorithm, data, Path(store), parameters)
            profiler.dump_stats(str(profile))
        else:
            result = run_algorithm(algorithm, data, Path(store), parameters)
    finished = time.perf_counter()
    if result.status != "Completed":
        raise SystemExit(f"qclocal run failed ({result.status}):\n{result.error}")
    filled = [o for o in algorithm.transactions.orders.values() if o.status == OrderStatus.FILLED]
    return {
        "engine_seconds": finished - started,
        "backtest_seconds": result.wall_seconds,
        "bars": result.data_points,
        "fills": len(filled),
        "buys": sum(o.quantity > 0 for o in filled),
        "sells": sum(o.quantity < 0 for o in filled),
        "rejected": sum(o.status == OrderStatus.INVALID for o in algorithm.transactions.orders.values()),
        "final_equity": algorithm.portfolio.total_portfolio_value,
    }


def child_other(engine: str, data: Path, count: int) -> dict:
    """backtrader (``bt_strategy.py``), nautilus_trader (``nt_strategy.py``) or the vectorised floor
    (``floor.py``)."""
    sys.path.insert(0, str(HERE))
    module = {"backtrader": "bt_strategy", "nautilus": "nt_strategy", "floor": "floor"}[engine]
    return importlib.import_module(module).run(data, tickers(count))


def run_child(engine: str, args: argparse.Namespace, data: Path, count: int, profile: Path | None = None) -> dict:
    """One engine in a fresh interpreter; returns its report plus wall seconds, CPU seconds, peak RSS (MB) and
    the 1-minute load average when it started."""
    with tempfile.NamedTemporaryFile(prefix=f"bench-{engine}-", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", engine, "--data", str(data),
               "--out", str(out), "--symbols", str(count), "--start-year", str(args.start_year),
               "--end-year", str(args.end_year)]
    if profile is not None:
        command += ["--profile-out", str(profile)]
    load = os.getloadavg()[0]
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(command)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{engine} child failed with exit code {proc.returncode}: {' '.join(command)}")
        report = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    report["wall_seconds"] = wall
    report["load"] = load
    report["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    report["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return report


# ----------------------------------------------------------------------------------------------- reporting

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("backtrader", "nautilus_trader", "numpy", "pandas"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported as such
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), **versions}


def summarise(runs: list[dict]) -> dict:
    keys = ("wall_seconds", "cpu_seconds", "engine_seconds", "peak_mb")
    summary = {k: statistics.median(r[k] for r in runs) for k in keys}
    last = runs[-1]
    summary.update({k: last[k] for k in ("fills", "buys", "sells", "rejected", "final_equity", "bars")})
    return summary


def report(args: argparse.Namespace, count: int, sessions: int, generate_seconds: float,
           runs: dict[str, list[dict]], load: tuple[float, float]) -> dict:
    bars = count * sessions
    rows = {engine: summarise(r) for engine, r in runs.items()}
    for row in rows.values():
        row["bars_per_second"] = bars / row["wall_seconds"]
        row["cpu_bars_per_second"] = bars / row["cpu_seconds"]
        row["engine_bars_per_second"] = bars / row["engine_seconds"]
    print(f"\nSMA(10/50) crossover, {count} symbols x {sessions} sessions ({args.start_year}-"
          f"{args.end_year}) = {bars:,} bars; bars generated in {generate_seconds:.1f} s; "
          f"median of {args.repeat} run(s) per engine; 1-min load average {load[0]:.1f} before, "
          f"{load[1]:.1f} after on {os.cpu_count()} cores")
    print(f"{'engine':<11} {'wall s':>7} {'bars/s':>8} {'cpu s':>7} {'bars/cpu-s':>10} {'load+run s':>10} "
          f"{'peak MB':>8} {'fills':>6} {'buys':>5} {'sells':>5} {'final equity':>14}")
    for engine, row in rows.items():
        print(f"{engine:<11} {row['wall_seconds']:7.2f} {row['bars_per_second']:8,.0f} {row['cpu_seconds']:7.2f} "
              f"{row['cpu_bars_per_second']:10,.0f} {row['engine_seconds']:10.2f} {row['peak_mb']:8.0f} "
              f"{row['fills']:6d} {row['buys']:5d} {row['sells']:5d} {row['final_equity']:14,.2f}")
    out = {"symbols": count, "sessions": sessions, "bars": bars, "repeat": args.repeat,
           "start_year": args.start_year, "end_year": args.end_year, "generate_seconds": generate_seconds,
           "load_average": load, "engines": rows, "runs": runs, "machine": machine(),
           "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    if "qclocal" in rows:
        qc = rows["qclocal"]
        comparisons = {}
        for engine, row in rows.items():
            if engine == "qclocal":
                continue
            cpu_ratio = qc["cpu_bars_per_second"] / row["cpu_bars_per_second"]
            wall_ratio = qc["bars_per_second"] / row["bars_per_second"]
            same = qc["fills"] == row["fills"] and qc["buys"] == row["buys"]
            equity_gap = abs(qc["final_equity"] - row["final_equity"])
            comparisons[engine] = {"cpu_ratio": cpu_ratio, "wall_ratio": wall_ratio, "same_fills": same,
                                   "equity_gap": equity_gap}
            print(f"qclocal / {engine}: {cpu_ratio:.2f}x the throughput by CPU, {wall_ratio:.2f}x by wall; fills "
                  f"{'identical' if same else 'DIFFER'} ({qc['fills']} vs {row['fills']}); final equity "
                  f"{equity_gap:.2f} apart")
        if "backtrader" in comparisons:
            met = comparisons["backtrader"]["cpu_ratio"] >= TARGET_BACKTRADER
            print(f"target qclocal >= {TARGET_BACKTRADER:.0f}x backtrader by CPU: {'met' if met else 'NOT met'}")
        if "floor" in comparisons:
            slower = 1 / comparisons["floor"]["cpu_ratio"]
            print(f"qclocal is {slower:.2f}x slower than the vectorised floor by CPU (target <= {TARGET_FLOOR:.0f}x: "
                  f"{'met' if slower <= TARGET_FLOOR else 'NOT met'})")
        if load[0] > 1.5 or load[1] > 1.5:
            print("note: other processes were using the CPUs; wall times are inflated and noisy, "
                  "compare the CPU-time columns")
        out["comparisons"] = comparisons
    return out


def scaling(sizes: list[int], sessions: int, runs: dict[int, dict[str, list[dict]]]) -> dict[str, float]:
    """CPU per bar at the larger universe over that at the smaller, per engine (medians over the runs)."""
    small, large = sorted(sizes)
    out = {}
    for engine in runs[small]:
        per_bar = {n: statistics.median(r["cpu_seconds"] for r in runs[n][engine]) / (n * sessions)
                   for n in (small, large)}
        out[engine] = per_bar[large] / per_bar[small]
        print(f"{engine}: CPU per bar at {large} symbols is {out[engine]:.2f}x that at {small} "
              f"({per_bar[small] * 1e6:.1f} vs {per_bar[large] * 1e6:.1f} us per bar; target <= {TARGET_SCALING}x "
              f"for qclocal)")
    return out


def print_profile(path: Path, top: int = 25) -> None:
    import pstats

    for key in ("tottime", "cumulative"):
        print(f"\n--- qclocal profile, top {top} by {key} ({path}) ---")
        pstats.Stats(str(path)).strip_dirs().sort_stats(key).print_stats(top)


# -------------------------------------------------------------------------------------------------- main

def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="runs per engine; medians are reported (default 3)")
    p.add_argument("--symbols", type=int, nargs="+", default=[100],
                   help="universe sizes; two sizes (e.g. 100 400) also report CPU per bar of the larger over the "
                        "smaller, runs alternated")
    p.add_argument("--start-year", type=int, default=2010)
    p.add_argument("--end-year", type=int, default=2019)
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    p.add_argument("--data", type=Path, help="LEAN data folder to write the bars into and keep "
                   "(default: a temporary folder, removed afterwards)")
    p.add_argument("--profile", action="store_true",
                   help="instead of timing, run qclocal once under cProfile and print its hot spots")
    p.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        count = args.symbols[0]
        if args.child == "qclocal":
            result = child_qclocal(args.data, count, args.start_year, args.end_year, args.profile_out)
        else:
            result = child_other(args.child, args.data, count)
        args.out.write_text(json.dumps(result))
        return 0
    data = args.data or Path(tempfile.mkdtemp(prefix="sma-bench-data-"))
    try:
        started = time.perf_counter()
        sessions = generate(data, max(args.symbols), args.start_year, args.end_year)
        generate_seconds = time.perf_counter() - started
        RESULTS.mkdir(parents=True, exist_ok=True)
        if args.profile:
            profile = RESULTS / "sma_crossover-qclocal.prof"
            row = run_child("qclocal", args, data, args.symbols[0], profile)
            print(f"qclocal under cProfile: wall {row['wall_seconds']:.2f} s, load+run {row['engine_seconds']:.2f} s")
            print_profile(profile)
            return 0
        runs = {count: {engine: [] for engine in args.engines} for count in args.symbols}
        load_before = os.getloadavg()[0]
        for i in range(args.repeat):
            for count in (args.symbols if i % 2 == 0 else list(reversed(args.symbols))):
                for engine in (args.engines if i % 2 == 0 else list(reversed(args.engines))):
                    row = run_child(engine, args, data, count)
                    runs[count][engine].append(row)
                    print(f"run {i + 1}/{args.repeat} {count} symbols {engine:<10} wall {row['wall_seconds']:7.2f} s, "
                          f"cpu {row['cpu_seconds']:7.2f} s, peak {row['peak_mb']:5.0f} MB, {row['fills']} fills, "
                          f"load {row['load']:.1f}", flush=True)
        load = (load_before, os.getloadavg()[0])
        result = {"sizes": {count: report(args, count, sessions, generate_seconds, runs[count], load)
                            for count in args.symbols}}
        if len(args.symbols) == 2:
            result["scaling"] = scaling(args.symbols, sessions, runs)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = RESULTS / f"sma_crossover-{stamp}.json"
        path.write_text(json.dumps(result, indent=1))
        print(f"results: {path}")
        return 0
    finally:
        if args.data is None:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
