"""Sweep benchmark: wall time of a 16-backtest ``qclocal optimize`` with 1 and 2 workers, and what Ray costs
per job over joblib.

1. **Sweep.** A 4x4 Grid Search (``fast`` 5..20 step 5 x ``slow`` 30..90 step 20) of ``algorithm.py`` (an SMA
   crossover on LEAN's sample SPY dailies, 2010-2015) in a temporary workspace linked to ``../shared/lean-data``,
   run with joblib and 1 worker, joblib and 2 workers, and Ray (a local cluster of 2 CPUs) with 2 workers.
2. **Overhead.** ``models.parallel.parallel_map`` over N trivial jobs (``abs``) with 2 workers on each backend,
   after one warm-up call that starts the workers: (wall seconds) / N is each backend's cost per job.

Every figure is printed with the 1-minute load average before and after it: on a shared machine other jobs
inflate wall times. A JSON copy goes to ``benchmarks/results/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE.parent / "results"


def workspace(root: Path, lean_data: Path) -> Path:
    (root / "lean.json").write_text('{"data-folder": "data"}')
    (root / "data").symlink_to(lean_data.resolve())
    project = root / "algorithms" / "crossover"
    project.mkdir(parents=True)
    shutil.copy(HERE / "algorithm.py", project / "main.py")
    (project / "config.json").write_text(json.dumps({"parameters": {"fast": "10", "slow": "30"}}))
    return project


def measured(label: str, run) -> dict:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    value = run()
    wall = time.perf_counter() - started
    figure = {"what": label, "wall_seconds": round(wall, 2), "load_before": round(load_before, 2),
              "load_after": round(os.getloadavg()[0], 2)}
    if value is not None:
        figure.update(value)
    print(f"{label:<44} {wall:8.2f} s   load {figure['load_before']:.2f} -> {figure['load_after']:.2f}", flush=True)
    return figure


def sweep(project: Path, workers: int, backend: str, address: str | None = None) -> dict:
    from qclocal.optimize import OptimizerConfig, optimize
    from qclocal.project import load_project

    config = OptimizerConfig.from_options("Grid Search", "Sharpe Ratio", "max",
                                          [("fast", 5, 20, 5), ("slow", 30, 90, 20)], max_concurrent=workers)
    result, folder = optimize(load_project(project), config, backend=backend, address=address,
                              show_progress=False)
    assert len(result.backtests) == 16 and all(b.status == "Completed" for b in result.backtests)
    return {"best": result.best.parameters if result.best else None,
            "ranking": [b.id for b in result.ranked()]}


def overhead(backend: str, jobs: int, address: str | None = None) -> dict:
    from models.parallel import parallel_map

    parallel_map(abs, range(2), n_jobs=2, backend=backend, address=address)  # start the workers
    started = time.perf_counter()
    parallel_map(abs, range(-jobs, 0), n_jobs=2, backend=backend, address=address)
    return {"jobs": jobs, "ms_per_job": round(1000 * (time.perf_counter() - started) / jobs, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lean-data", type=Path, default=REPO.parent / "shared" / "lean-data")
    p.add_argument("--jobs", type=int, default=200, help="trivial jobs for the overhead measurement")
    p.add_argument("--skip-ray", action="store_true")
    args = p.parse_args(argv)
    if not (args.lean_data / "equity" / "usa" / "daily" / "spy.zip").is_file():
        raise SystemExit(f"{args.lean_data} has no equity/usa/daily/spy.zip: pass --lean-data")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    figures = []
    cluster = None
    with tempfile.TemporaryDirectory(prefix="bench-optimize-") as tmp:
        project = workspace(Path(tmp), args.lean_data)
        try:
            figures.append(measured("sweep 16 backtests, joblib, 1 worker", lambda: sweep(project, 1, "joblib")))
            figures.append(measured("sweep 16 backtests, joblib, 2 workers", lambda: sweep(project, 2, "joblib")))
            figures.append(measured(f"overhead {args.jobs} jobs, joblib, 2 workers",
                                    lambda: overhead("joblib", args.jobs)))
            if not args.skip_ray:
                from ray.cluster_utils import Cluster

                cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
                figures.append(measured("sweep 16 backtests, ray, 2 workers",
                                        lambda: sweep(project, 2, "ray", cluster.address)))
                figures.append(measured(f"overhead {args.jobs} jobs, ray, 2 workers",
                                        lambda: overhead("ray", args.jobs, cluster.address)))
        finally:
            if cluster is not None:
                cluster.shutdown()
    rankings = {json.dumps(f["ranking"]) for f in figures if "ranking" in f}
    print(f"identical rankings across runs: {len(rankings) == 1}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"optimize-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"cores": os.cpu_count(), "figures": figures}, indent=1))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
