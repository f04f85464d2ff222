"""CPU seconds per simulated year of the ML backtests (tqqq_leverage, mag7_lstm) on the synthetic markets.

    python benchmarks/ml_backtests/run.py setup --root /tmp/mlbench                 # data + models, once
    python benchmarks/ml_backtests/run.py run --root /tmp/mlbench --repeat 3 \\
        [--baseline /work/other-checkout] [--strategies tqqq_leverage mag7_lstm] [--profile]

``setup`` generates each strategy's market (``qclocal demo``'s scenario and seed) and trains its model timeline
with the demo's notebook settings, into ``<root>/shared`` (``data/`` and ``storage/``). ``run`` backtests each
strategy in a fresh interpreter per run (``--child``), alternating the code under test with ``--baseline`` (another
checkout of this repository, e.g. ``main``: its ``qclocal`` and ``Library/`` are used for those runs), and
reports the child's user+system CPU (``os.wait4``), the part of it spent importing (the child times its imports:
qclocal, pandas, and TensorFlow if the algorithm imports it), the backtest's own CPU, peak RSS, the 1-minute load
average, and the result: orders, fills and final equity, which must agree between the two checkouts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STRATEGIES = ("tqqq_leverage", "mag7_lstm")
PERIOD = {"start": "2017-01-01", "end": "2020-12-31"}  # both algorithms' default window


def _workspace(root: Path, checkout: Path, name: str) -> Path:
    """A LEAN workspace whose Library/ and algorithms/ come from ``checkout``; data and storage are shared."""
    space = root / name
    if not space.exists():
        space.mkdir(parents=True)
        (space / "lean.json").write_text(json.dumps({"data-folder": "data"}))
        for link, target in (("Library", checkout / "Library"), ("algorithms", checkout / "algorithms"),
                             ("research", checkout / "research"), ("data", root / "shared" / "data"),
                             ("storage", root / "shared" / "storage")):
            (space / link).symlink_to(target)
    return space


def setup(root: Path) -> None:
    sys.path.insert(0, str(REPO))
    from qclocal.cli import DEMOS
    from qclocal.data.synthetic import generate
    from qclocal.research import run_notebook

    (root / "shared" / "data").mkdir(parents=True, exist_ok=True)
    (root / "shared" / "storage").mkdir(parents=True, exist_ok=True)
    space = _workspace(root, REPO, "setup")
    for strategy in STRATEGIES:
        scenario, seed, params = DEMOS[strategy]
        print(f"{strategy}: generating {scenario} (seed {seed}), training {params}", flush=True)
        generate(scenario, space / "data", seed=seed, progress=False)
        run_notebook(space / "research" / f"{strategy}.ipynb", params, data_folder=space / "data",
                     object_store=space / "storage", echo=lambda *_: None)


def child(strategy: str, workspace: Path, profile: Path | None) -> None:
    if os.environ.get("ML_BENCH_PERIOD"):  # "start,end": a shorter window, for a quick look
        PERIOD.update(zip(("start", "end"), os.environ["ML_BENCH_PERIOD"].split(","), strict=True))
    """One backtest in this interpreter; prints a JSON line with CPU split into imports and the run."""
    cpu0 = time.process_time()
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    from qclocal.backtest import backtest

    cpu_imports = time.process_time() - cpu0
    os.chdir(workspace)
    tf_before = "tensorflow" in sys.modules
    start = time.process_time()
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        result, out = profiler.runcall(backtest, workspace / "algorithms" / strategy, dict(PERIOD),
                                       show_progress=False)
        profiler.dump_stats(str(profile))
    else:
        result, out = backtest(workspace / "algorithms" / strategy, dict(PERIOD), show_progress=False)
    run_cpu = time.process_time() - start
    tf_seconds = 0.0
    if "tensorflow" in sys.modules and not tf_before:  # measure what importing TensorFlow cost inside the run
        code = "import time; t=time.process_time(); import tensorflow, keras; print(time.process_time()-t)"
        tf_seconds = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout.split()[-1])
    orders = result.orders if isinstance(result.orders, list) else list(result.orders.values())
    fills = [(o.get("time") or o.get("lastFillTime"), o.get("quantity"), o.get("price")) for o in orders]
    print("RESULT " + json.dumps({
        "status": result.status, "imports_cpu": cpu_imports, "run_cpu": run_cpu, "tensorflow_imported":
        "tensorflow" in sys.modules, "tensorflow_import_cpu": tf_seconds,
        "orders": len(orders), "fills_hash": hashlib.sha256(json.dumps(fills, sort_keys=True, default=str).encode()).hexdigest()[:16],
        "equity": result.statistics.get("End Equity"), "net_profit": result.statistics.get("Net Profit"),
        "statistics": result.statistics}), flush=True)


def _spawn(strategy: str, workspace: Path, checkout: Path, profile: Path | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "child", strategy, str(workspace)]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    wall = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if status != 0 or line is None:
        raise RuntimeError(f"child failed ({checkout}, {strategy}):\n{out[-3000:]}\n{err[-3000:]}")
    data = json.loads(line[len("RESULT "):])
    data.update(cpu=usage.ru_utime + usage.ru_stime, wall=time.perf_counter() - wall, peak_mb=usage.ru_maxrss / 1024,
                load=os.getloadavg()[0])
    return data


def run(root: Path, baseline: Path | None, strategies: list[str], repeat: int, profile: bool, period: str | None
        ) -> dict:
    checkouts = {"after": REPO} if baseline is None else {"before": baseline.resolve(), "after": REPO}
    spaces = {label: _workspace(root, path, f"ws-{label}") for label, path in checkouts.items()}
    if period:
        os.environ["ML_BENCH_PERIOD"] = period
        PERIOD.update(zip(("start", "end"), period.split(","), strict=True))
    years = (datetime.fromisoformat(PERIOD["end"]) - datetime.fromisoformat(PERIOD["start"])).days / 365.25
    report: dict = {"date": datetime.now().isoformat(timespec="seconds"), "years": years, "runs": {}}
    for strategy in strategies:
        runs: dict[str, list[dict]] = {label: [] for label in checkouts}
        for i in range(repeat):
            order = list(checkouts) if i % 2 == 0 else list(reversed(checkouts))  # alternate who goes first
            for label in order:
                prof = root / f"{strategy}-{label}.prof" if profile and i == 0 else None
                runs[label].append(_spawn(strategy, spaces[label], checkouts[label], prof))
                r = runs[label][-1]
                print(f"{strategy:14s} {label:6s} cpu {r['cpu']:6.1f}s  imports {r['imports_cpu']:4.1f}s  "
                      f"run {r['run_cpu']:6.1f}s  tf-imported {r['tensorflow_imported']!s:5s} peak "
                      f"{r['peak_mb']:5.0f} MB  load {r['load']:.2f}  orders {r['orders']}  equity {r['equity']}",
                      flush=True)
        report["runs"][strategy] = runs
        summary = {}
        for label, items in runs.items():
            summary[label] = {key: statistics.median(r[key] for r in items)
                              for key in ("cpu", "imports_cpu", "run_cpu", "wall", "peak_mb", "load",
                                          "tensorflow_import_cpu")}
            summary[label]["run_cpu_per_year"] = summary[label]["run_cpu"] / years
            summary[label]["results"] = sorted({(r["orders"], r["fills_hash"], r["equity"]) for r in items})
        report.setdefault("summary", {})[strategy] = summary
        print(json.dumps(summary, indent=1), flush=True)
    out = REPO / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"ml_backtests-{report['date'].replace(':', '')}.json").write_text(json.dumps(report, indent=1))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--root", type=Path, required=True)
    p = sub.add_parser("run")
    p.add_argument("--root", type=Path, required=True)
    p.add_argument("--baseline", type=Path)
    p.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile", action="store_true", help="cProfile the first run of each checkout")
    p.add_argument("--period", help="START,END instead of 2017-01-01,2020-12-31 (a quick look)")
    p = sub.add_parser("child")
    p.add_argument("strategy")
    p.add_argument("workspace", type=Path)
    p.add_argument("--profile", type=Path)
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.root.resolve())
    elif args.command == "run":
        run(args.root.resolve(), args.baseline, args.strategies, args.repeat, args.profile, args.period)
    else:
        child(args.strategy, args.workspace, args.profile)


if __name__ == "__main__":
    main()
