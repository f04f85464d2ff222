"""`qclocal optimize`: LEAN's Grid and Euler search, constraints, output layout, and runs that match sequential ones."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qclocal.backtest import backtest
from qclocal.cli import main
from qclocal.optimize import (
    Backtest,
    Criterion,
    OptimizerConfig,
    OptimizerError,
    lookup,
    parse_constraint,
    search,
    step_parameter,
)

# A moving-average crossover on LEAN's sample SPY dailies (the sweep benchmark's): 9 parameter sets, 9 results.
ALGO = Path(__file__).resolve().parents[2] / "benchmarks" / "optimize" / "algorithm.py"
PARAMETERS = {"fast": "10", "slow": "30", "start-year": "2014", "end-year": "2015", "fail-when-fast": "13"}
GRID = ["--parameter", "fast", "5", "15", "5", "--parameter", "slow", "20", "60", "20"]


def _make_project(root: Path, lean_data: Path) -> Path:
    (root / "lean.json").write_text('{"data-folder": "data"}')
    (root / "data").symlink_to(lean_data)
    proj = root / "algorithms" / "crossover"
    proj.mkdir(parents=True)
    (proj / "main.py").write_text(ALGO.read_text())
    (proj / "config.json").write_text(json.dumps({"parameters": PARAMETERS}))
    return proj


@pytest.fixture
def project(tmp_path: Path, lean_data: Path) -> Path:
    return _make_project(tmp_path, lean_data)


@pytest.fixture(scope="module")
def grid_project(tmp_path_factory, lean_data: Path) -> Path:
    return _make_project(tmp_path_factory.mktemp("grid"), lean_data)


@pytest.fixture(scope="module")
def sequential(grid_project: Path) -> pd.DataFrame:
    """The 3x3 grid run one backtest at a time with `backtest`, without the optimizer, best Sharpe first."""
    rows = []
    for fast in (5, 10, 15):
        for slow in (20, 40, 60):
            result, out = backtest(grid_project, {"fast": str(fast), "slow": str(slow)}, show_progress=False,
                                   output=grid_project.parent / "seq" / f"{fast}-{slow}")
            rows.append({"fast": str(fast), "slow": str(slow), **result.statistics})
    expected = pd.DataFrame(rows)
    expected["target"] = expected["Sharpe Ratio"].astype(float)
    assert expected["target"].nunique() == 9  # a ranking that could come out in another order
    return expected.sort_values("target", ascending=False, kind="stable")


def _optimize(project: Path, *args: str) -> tuple[str, Path]:
    before = set((project / "optimizations").glob("*")) if (project / "optimizations").exists() else set()
    result = CliRunner().invoke(main, ["optimize", str(project), "--quiet", *args])
    assert result.exit_code == 0, result.output
    (folder,) = set((project / "optimizations").glob("*")) - before
    return result.output, folder


def _check_grid_against_sequential(output: str, folder: Path, expected: pd.DataFrame) -> None:
    summary = pd.read_csv(folder / "summary.csv", dtype={"fast": str, "slow": str})
    assert len(summary) == 9 and summary["rank"].tolist() == list(range(1, 10))
    # LEAN's ParameterSet ids: the first parameter is the outer loop
    assert summary.sort_values("id")[["fast", "slow"]].values.tolist() == [
        [f, s] for f in ("5", "10", "15") for s in ("20", "40", "60")]
    assert summary[["fast", "slow"]].values.tolist() == expected[["fast", "slow"]].values.tolist()
    assert summary["target"].tolist() == expected["target"].tolist()
    best = expected.iloc[0]
    assert f"Optimal parameters: fast: {best['fast']}, slow: {best['slow']}" in output
    # one LEAN-shaped results folder per backtest, with the statistics a lone backtest gives
    for row in summary.itertuples():
        data = json.loads((Path(row.folder) / "crossover.json").read_text())
        match = expected[(expected.fast == row.fast) & (expected.slow == row.slow)].iloc[0]
        assert data["statistics"] == {k: match[k] for k in data["statistics"]}
        assert (Path(row.folder) / "log.txt").is_file() and Path(row.folder).parent == folder


def test_grid_search_ranks_as_a_sequential_run_and_writes_one_folder_per_backtest(grid_project, sequential):
    output, folder = _optimize(grid_project, "--strategy", "Grid Search", "--target", "Sharpe Ratio",
                               "--target-direction", "max", *GRID, "--max-concurrent-backtests", "2")
    _check_grid_against_sequential(output, folder, sequential)
    config = json.loads((folder / "optimizer-config.json").read_text())
    assert config["optimization-criterion"] == {"target": "TotalPerformance.PortfolioStatistics.SharpeRatio",
                                                "extremum": "max"}
    assert {p["name"] for p in config["parameters"]} == {"fast", "slow"}


def test_grid_search_on_a_ray_cluster_gives_the_same_results(grid_project, sequential, ray_cluster):
    output, folder = _optimize(grid_project, "--strategy", "Grid Search", "--target", "Sharpe Ratio",
                               "--target-direction", "max", *GRID, "--max-concurrent-backtests", "3",
                               "--address", ray_cluster)
    _check_grid_against_sequential(output, folder, sequential)


def test_constraint_drops_backtests_that_miss_it(project):
    # lean-cli's form: "Drawdown < 0.12" reads Drawdown as a fraction (the table's "12%" normalised)
    _, folder = _optimize(project, "--strategy", "grid search", "--target", "Net Profit",
                          "--target-direction", "min", *GRID, "--constraint", "Drawdown < 0.12",
                          "--constraint", "Total Orders >= 3")
    data = json.loads((folder / "optimization.json").read_text())
    backtests = data["backtests"]
    assert len(backtests) == 9
    for b in backtests:
        stats = b["statistics"]
        meets = float(stats["Drawdown"].rstrip("%")) / 100 < 0.12 and int(stats["Total Orders"]) >= 3
        assert b["constraintsMet"] == meets, b
    kept = [b for b in backtests if b["constraintsMet"]]
    assert 0 < len(kept) < 9  # the constraint really filters on this grid
    best = min(kept, key=lambda b: (b["target"], b["id"]))
    assert data["best"]["parameters"] == best["parameters"]
    summary = pd.read_csv(folder / "summary.csv")
    assert summary["rank"].notna().sum() == len(kept)


def test_euler_search_from_a_lean_optimizer_config(project, tmp_path):
    config = tmp_path / "optimizer.json"
    config.write_text(json.dumps({
        "algorithm-language": "Python",
        "optimization-strategy": "QuantConnect.Optimizer.Strategies.EulerSearchOptimizationStrategy",
        "optimization-strategy-settings": {"default-segment-amount": 2},
        "optimization-criterion": {"target": "Statistics.Net Profit", "extremum": "max"},
        "parameters": [{"name": "fast", "min": 5, "max": 25, "step": 10, "min-step": 5},
                       {"name": "slow", "value": "40"}]}))
    output, folder = _optimize(project, "--optimizer-config", str(config))
    data = json.loads((folder / "optimization.json").read_text())
    runs = {b["parameters"]["fast"]: b for b in data["backtests"]}
    first = max(["5", "15", "25"], key=lambda f: runs[f]["target"])  # round 1: the grid, step 10
    # round 2: step 5 over first +- 5, clipped to [5, 25]; the set that already ran is not run again
    second = {str(v) for v in range(int(first) - 5, int(first) + 6, 5) if 5 <= v <= 25}
    assert set(runs) == {"5", "15", "25"} | second and len(data["backtests"]) == len(runs)
    assert all(b["parameters"]["slow"] == "40" for b in data["backtests"])
    best = max(data["backtests"], key=lambda b: (b["target"], -b["id"]))
    assert data["best"]["parameters"] == best["parameters"]
    assert "Round 2" in (folder / "log.txt").read_text()
    assert f"Optimal parameters: fast: {best['parameters']['fast']}, slow: 40" in output


def test_a_failed_backtest_is_recorded_and_the_sweep_goes_on(project):
    output, folder = _optimize(project, "--strategy", "Grid Search", "--target", "Sharpe Ratio",
                               "--target-direction", "max", "--parameter", "fast", "12", "14", "1",
                               "--parameter", "slow", "30", "30", "1")
    summary = pd.read_csv(folder / "summary.csv").set_index("fast")
    assert summary.loc[13, "status"] != "Completed" and "planted failure" in summary.loc[13, "error"]
    assert pd.isna(summary.loc[13, "rank"])
    assert (summary.loc[[12, 14], "status"] == "Completed").all()
    assert "3 backtests: 2 completed, 1 failed" in output
    assert "planted failure" in (Path(summary.loc[13, "folder"]) / "log.txt").read_text()


def test_same_second_runs_get_their_own_folders_and_output_is_never_overwritten(project):
    args = ["--strategy", "Grid Search", "--target", "Net Profit", "--target-direction", "max",
            "--parameter", "fast", "5", "5", "1", "--parameter", "slow", "20", "20", "1"]
    _, first = _optimize(project, *args)
    _, second = _optimize(project, *args)
    assert first != second and (first / "summary.csv").is_file() and (second / "summary.csv").is_file()
    foreign = project / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["optimize", str(project), "--quiet", "--output", str(foreign), *args])
    assert result.exit_code != 0 and "not an empty folder" in result.output
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_bad_options_get_clear_errors(project, tmp_path):
    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["optimize", str(project), "--quiet", *args])
        assert result.exit_code != 0
        return result.output

    assert "has no parameter(s) fats" in run("--strategy", "Grid Search", "--target", "Sharpe Ratio",
                                             "--target-direction", "max", "--parameter", "fats", "1", "2", "1")
    assert "needs --target-direction" in run("--strategy", "Grid Search", "--target", "Sharpe Ratio", *GRID)
    assert "OPERATOR" in run("--strategy", "Grid Search", "--target", "Sharpe Ratio", "--target-direction", "max",
                             *GRID, "--constraint", "Drawdown ~ 0.2")
    assert "min 5 is greater than max 1" in run("--strategy", "Grid Search", "--target", "Sharpe Ratio",
                                                "--target-direction", "max", "--parameter", "fast", "5", "1", "1")
    assert "--optimizer-config" in run()
    assert "needs backend='ray'" in run("--strategy", "Grid Search", "--target", "Sharpe Ratio",
                                        "--target-direction", "max", *GRID, "--backend", "joblib",
                                        "--address", "auto")
    bad = tmp_path / "opt.json"
    bad.write_text(json.dumps({"parameters": [{"name": "fast", "min": 1, "max": 2}], "out-of-sample-days": 5}))
    assert "out-of-sample-days" in run("--optimizer-config", str(bad))
    assert not (project / "optimizations").exists() or not any((project / "optimizations").iterdir())


def test_unknown_target_names_the_statistics(project):
    result = CliRunner().invoke(main, ["optimize", str(project), "--quiet", "--strategy", "Grid Search",
                                       "--target", "Statistics.Sharp Ratio", "--target-direction", "max",
                                       "--parameter", "fast", "5", "5", "1"])
    assert result.exit_code == 1 and "is not a statistic" in result.output and "Sharpe Ratio" in result.output
    result = CliRunner().invoke(main, ["optimize", str(project), "--quiet", "--strategy", "Grid Search",
                                       "--target", "Sharpe Ratio", "--target-direction", "max",
                                       "--parameter", "fast", "5", "5", "1", "--constraint", "Max Loss < 0.3"])
    assert result.exit_code == 0 and "No backtest met the constraints" in result.output
    assert "name no statistic of the backtests: TotalPerformance.PortfolioStatistics.MaxLoss" in result.output


# ---- LEAN's semantics on pure functions --------------------------------------------------------------------


def test_steps_are_enumerated_as_leans_decimals():
    assert step_parameter("a", 10.0, 12.0, 0.5).values() == ["10.0", "10.5", "11.0", "11.5", "12.0"]
    assert step_parameter("a", 1.0, 3.0, 1.0).values() == ["1", "2", "3"]
    assert step_parameter("a", 0.1, 0.35, 0.1).values() == ["0.1", "0.2", "0.3"]  # no float drift past max
    no_step = step_parameter("a", 0, 10, segments=4)
    assert (no_step.step, no_step.min_step) == (Decimal("2.5"), Decimal("0.25"))
    with pytest.raises(OptimizerError, match="smaller than min-step"):
        step_parameter("a", 0, 1, 0.1, 0.2)


def test_optimizer_config_in_leans_format_with_comments(tmp_path):
    from qclocal.optimize import load_config

    path = tmp_path / "config.json"
    path.write_text('''{
  "algorithm-type-name": "ParameterizedAlgorithm", // ignored, as lean-cli does
  "optimization-strategy": "QuantConnect.Optimizer.Strategies.EulerSearchOptimizationStrategy",
  "optimization-strategy-settings": {"default-segment-amount": 10},
  "optimization-criterion": {"target": "Statistics.Sharpe Ratio", "extremum": "max", "target-value": 3},
  "constraints": [{"target": "Drawdown", "operator": "lessOrEqual", "target-value": 0.15}],
  "maximum-concurrent-backtests": 3,
  "parameters": [{"name": "ema-slow", "min": 10, "max": 50},
                 {"name": "ema-fast", "min": 50, "max": 150, "step": 50, "min-step": 0.5},
                 {"name": "mode", "value": "long"}]
}''')
    config = load_config(path)
    assert config.euler and config.max_concurrent == 3 and config.criterion.target_value == 3
    slow, fast, mode = config.parameters
    assert (slow.step, slow.min_step) == (Decimal(4), Decimal("0.4"))  # (max-min)/segments, a tenth of it
    assert (fast.step, fast.min_step) == (Decimal(50), Decimal("0.5"))
    assert mode.values() == ["long"]
    (constraint,) = config.constraints
    assert constraint.is_met({"statistics": {"Drawdown": "15%"}})
    assert not constraint.is_met({"statistics": {"Drawdown": "15.001%"}})
    assert not constraint.is_met({"statistics": {}})  # a missing statistic fails the constraint, as in LEAN


def test_objectives_read_the_result_json_as_lean_does():
    result = {"statistics": {"Sharpe Ratio": "1.25", "Drawdown": "12.5%", "Net Profit": "-3.1%"}}
    assert lookup(result, "Sharpe Ratio") == Decimal("1.25")  # no dot: Statistics.<name>
    assert lookup(result, "['Statistics'].['Drawdown']") == Decimal("0.125")
    assert lookup(result, "statistics.net profit") == Decimal("-0.031")  # keys are case-insensitive
    assert lookup(result, "TotalPerformance.PortfolioStatistics.SharpeRatio") == Decimal("1.25")
    assert lookup(result, "Statistics.Nope") is None
    c = parse_constraint("Sharpe Ratio >= 1.25")
    assert c.target == "TotalPerformance.PortfolioStatistics.SharpeRatio" and c.is_met(result)
    assert not parse_constraint("Sharpe Ratio > 1.25").is_met(result)


def _evaluate(score):
    def evaluate(jobs):
        calls.append([values for _, values in jobs])
        return [Backtest(i, values, result={"statistics": {"Score": str(score(**values))}}) for i, values in jobs]
    calls: list = []
    return evaluate, calls


def test_euler_search_refines_to_a_known_optimum():
    # maximum at x = 3.37, y = -1.2: LEAN's Euler search on [0, 10] step 1, min-step 0.01, 10 segments
    def score(x, y):
        return -(Decimal(x) - Decimal("3.37")) ** 2 - (Decimal(y) + Decimal("1.2")) ** 2

    config = OptimizerConfig.from_lean({
        "optimization-strategy": "QuantConnect.Optimizer.Strategies.EulerSearchOptimizationStrategy",
        "optimization-strategy-settings": {"default-segment-amount": 10},
        "optimization-criterion": {"target": "Score", "extremum": "max"},
        "parameters": [{"name": "x", "min": 0, "max": 10, "step": 1, "min-step": 0.01},
                       {"name": "y", "min": -2, "max": 2, "step": 0.4, "min-step": 0.04}]})
    evaluate, calls = _evaluate(score)
    result = search(config, evaluate)
    assert result.best is not None and result.best.parameters == {"x": "3.37", "y": "-1.20"}
    # round 1 is the grid; then steps of 0.1 over best +- 0.5, then 0.01 over best +- 0.05 (y stops at 0.04)
    xs = [sorted({Decimal(v["x"]) for v in round_}) for round_ in calls]
    assert (xs[0][0], xs[0][-1], len(xs[0])) == (0, 10, 11)
    assert (xs[1][0], xs[1][-1], len(xs[1])) == (Decimal("2.5"), Decimal("3.5"), 11)
    assert (xs[2][0], xs[2][-1], len(xs[2])) == (Decimal("3.35"), Decimal("3.45"), 11)
    assert len(calls) == 3 and [b.id for b in result.backtests] == list(range(1, 3 * 121 + 1))


def test_euler_does_not_rerun_a_set_it_already_ran():
    config = OptimizerConfig.from_lean({
        "optimization-strategy": "Euler Search", "optimization-strategy-settings": {"default-segment-amount": 2},
        "optimization-criterion": {"target": "Score", "extremum": "min"},
        "parameters": [{"name": "x", "min": 0, "max": 10, "step": 2, "min-step": 1}]})
    evaluate, calls = _evaluate(lambda x: abs(Decimal(x) - Decimal("4.8")))
    result = search(config, evaluate)
    # round 2 is x in [4 - 1, 4 + 1] step 1: "4" ran in round 1 (id 3), so only 3 and 5 run, as ids 7 and 9
    assert calls == [[{"x": str(v)} for v in range(0, 11, 2)], [{"x": "3"}, {"x": "5"}]]
    assert [b.id for b in result.backtests] == [1, 2, 3, 4, 5, 6, 7, 9]
    assert result.best.parameters == {"x": "5"}


def test_euler_with_step_equal_to_min_step_is_one_grid_as_in_lean():
    # lean-cli's --parameter gives no min-step, so LEAN's min-step is the step: nothing to refine
    config = OptimizerConfig.from_options("Euler Search", "Score", "min", [("x", 0, 4, 1)])
    evaluate, calls = _evaluate(lambda x: abs(Decimal(x) - 2))
    result = search(config, evaluate)
    assert len(calls) == 1 and result.best is not None and result.best.parameters == {"x": "2"}


def test_ties_keep_the_first_set_and_target_value_stops_the_search():
    config = OptimizerConfig.from_options("Grid Search", "Score", "max", [("x", 0, 4, 1)])
    evaluate, _ = _evaluate(lambda x: min(Decimal(x), 2))
    assert search(config, evaluate).best.parameters == {"x": "2"}  # 2, 3 and 4 tie: the lowest id wins
    config.criterion = Criterion("Score", "max", Decimal("1"))
    result = search(config, evaluate)
    assert result.target_reached and result.best.parameters == {"x": "1"}
    # x = 2..4 score higher but come after the end of the optimization: listed, not ranked
    assert [b.parameters["x"] for b in result.ranked()] == ["1", "0"]
    assert [b.counted for b in result.backtests] == [True, True, False, False, False]
