"""One qclocal backtest of ``<repo>/algorithms/russell_qpi`` in this fresh interpreter (``speed.py synthetic``).

Imports only the standard library and then the ``qclocal`` found on PYTHONPATH, so a run for another checkout
(``--baseline``) uses that checkout's engine, Library and algorithm throughout: the parent starts it with
PYTHONPATH and the working directory set to that checkout. Writes what the run did to ``--out`` as JSON; the
parent measures this process's CPU, wall and peak RSS from outside (``os.wait4``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path


def run(repo: Path, data: Path, store: Path, parameters: dict[str, str], profile: Path | None) -> dict:
    import qclocal
    from qclocal.algorithm_imports import installed
    from qclocal.engine.runner import run_algorithm
    from qclocal.project import algorithm_class, library_path, load_project

    project = load_project(repo / "algorithms" / "russell_qpi", parameters)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with installed(), library_path(project):
        algorithm = algorithm_class(project.path / "main.py")()
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(run_algorithm, algorithm, data, store, project.parameters)
            profiler.dump_stats(str(profile))
        else:
            result = run_algorithm(algorithm, data, store, project.parameters)
        import models
    if result.status != "Completed":
        raise SystemExit(f"backtest failed ({result.status}):\n{result.error}")
    orders = json.dumps(result.orders, sort_keys=True, default=str)
    return {
        "engine_cpu_s": time.process_time() - cpu0,            # the algorithm's load and run, imports excluded
        "engine_wall_s": time.perf_counter() - wall0,
        "qclocal": str(Path(qclocal.__file__).parent),         # which checkout actually ran
        "library": str(Path(models.__file__).parent),
        "start": str(algorithm.start_date)[:10],
        "end": str(algorithm.end_date)[:10],
        "bars": result.data_points,
        "history_bars": result.history_points,
        "universe": sum(1 for symbol in algorithm.securities if getattr(symbol, "value", symbol) != "VIX"),
        "orders": len(result.orders),
        "orders_sha256": hashlib.sha256(orders.encode()).hexdigest()[:16],
        "final_equity": float(algorithm.portfolio.total_portfolio_value),
        "net_profit": result.statistics.get("Net Profit"),
        "sharpe": result.statistics.get("Sharpe Ratio"),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repo", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--parameters", required=True, help="JSON object of algorithm parameters")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--profile-out", type=Path)
    args = p.parse_args()
    report = run(args.repo, args.data, args.store, json.loads(args.parameters), args.profile_out)
    args.out.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
