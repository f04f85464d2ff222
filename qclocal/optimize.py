"""``qclocal optimize``: LEAN's optimizer (Grid Search, Euler Search) over a project's parameters.

Semantics follow LEAN's ``Optimizer`` as ``lean optimize`` configures it:

- A step parameter ``{name, min, max, step, min-step}`` takes the values ``min + i*step <= max`` in decimal
  arithmetic, formatted as C# formats LEAN's decimals (10 to 11 step 0.5 gives "10.0", "10.5", "11.0"). Without ``step`` it is
  ``(max - min) / default-segment-amount`` and ``min-step`` a tenth of it; ``min-step`` defaults to ``step``.
  ``{name, value}`` is a static parameter. Parameter sets are the cartesian product with the first parameter
  outermost; their ids count up from 1 over the whole optimization.
- Grid Search runs every set once. Euler Search runs that grid, then, while some step exceeds its min-step,
  a finer grid around the best set so far: step ``max(min-step, step/segments)`` over
  ``best +- step*segments/2`` clipped to the previous range (segments: ``default-segment-amount``, LEAN's
  default 4). A set already run is not run again (LEAN reruns it; the result would be identical).
- A target or constraint without a dot means ``Statistics.<name>``; values are read from the result JSON with
  case-insensitive keys and normalised as LEAN does ("12.5%" -> 0.125). A backtest that fails a constraint is
  dropped from the ranking; the best set is the first (lowest id) with the best target value, as LEAN keeps
  the first strictly better result. ``target-value`` in the criterion ends the optimization at the first set
  (in id order) whose result reaches it, as LEAN ends it there: the sets of that round after it still ran
  (they were launched together) and are listed, but neither counted nor ranked.
- ``TotalPerformance.PortfolioStatistics.<Name>`` (what ``--target "Sharpe Ratio"`` becomes in lean-cli) is
  read from the statistic of the same name with spaces removed ("Sharpe Ratio"), because qclocal's result JSON
  carries LEAN's statistics table but not the unrounded portfolio statistics: the value is the table's
  rounded one (3 decimals; percentages to 0.001%).

Output in ``<project>/optimizations/<timestamp>/``: ``optimizer-config.json`` (LEAN's format), one backtest
folder per parameter set (``<id>/``, as ``qclocal backtest`` writes it), ``summary.csv`` ranked by the target,
``optimization.json`` (every backtest with its parameters, statistics or error) and ``log.txt``.
"""

from __future__ import annotations

import json
import operator
import os
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from qclocal.project import Project, ProjectError, read_json

STRATEGIES = {
    "grid search": "QuantConnect.Optimizer.Strategies.GridSearchOptimizationStrategy",
    "euler search": "QuantConnect.Optimizer.Strategies.EulerSearchOptimizationStrategy",
}
OPERATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "less": operator.lt, "lessOrEqual": operator.le, "greater": operator.gt,
    "greaterOrEqual": operator.ge, "equals": operator.eq, "notEqual": operator.ne,
}
SYMBOLS = {"<": "less", "<=": "lessOrEqual", ">": "greater", ">=": "greaterOrEqual", "==": "equals",
           "!=": "notEqual"}
# keys of LEAN's optimizer config that describe the launcher, not the optimization: read and ignored
LAUNCHER_KEYS = {"algorithm-type-name", "algorithm-language", "algorithm-location", "optimizer-close-automatically",
                 "results-destination-folder", "data-folder", "debug-mode", "optimization-launcher",
                 "lean-binaries-location", "optimization-id", "data-channel", "estimate", "log-handler",
                 "optimization-update-interval"}
SUMMARY_STATISTICS = ["Sharpe Ratio", "Compounding Annual Return", "Drawdown", "Net Profit", "Total Orders"]


class OptimizerError(ProjectError):
    """A bad optimizer configuration; the message names the field."""


def _decimal(value: Any, what: str) -> Decimal:
    """A JSON or CLI number as LEAN's decimal: 10.0 -> 10, 0.50 -> 0.5 (Convert.ToDecimal of the double)."""
    try:
        number = Decimal(repr(float(value))) if not isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise OptimizerError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise OptimizerError(f"{what} must be finite, got {value!r}")
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def _text(value: Decimal) -> str:
    return format(value, "f")


@dataclass(frozen=True)
class StepParameter:
    name: str
    min: Decimal
    max: Decimal
    step: Decimal
    min_step: Decimal

    def values(self) -> list[str]:
        out, i = [], 0
        while self.min + i * self.step <= self.max:
            out.append(_text(self.min + i * self.step))
            i += 1
        return out

    def to_lean(self) -> dict:
        return {"name": self.name, "min": float(self.min), "max": float(self.max), "step": float(self.step),
                "min-step": float(self.min_step)}


@dataclass(frozen=True)
class StaticParameter:
    name: str
    value: str

    def values(self) -> list[str]:
        return [self.value]

    def to_lean(self) -> dict:
        return {"name": self.name, "value": self.value}


Parameter = StepParameter | StaticParameter


def step_parameter(name: str, low: Any, high: Any, step: Any = None, min_step: Any = None,
                   segments: int = 10) -> StepParameter:
    """LEAN's OptimizationStepParameter, with its checks and its defaults for a missing step or min-step."""
    lo, hi = _decimal(low, f"parameter {name!r} min"), _decimal(high, f"parameter {name!r} max")
    if lo > hi:
        raise OptimizerError(f"parameter {name!r}: min {lo} is greater than max {hi}")
    if step is None:
        size = abs(hi - lo) / segments
        if size <= 0:
            raise OptimizerError(f"parameter {name!r}: min equals max, so give it a step or use a static value")
        return StepParameter(name, lo, hi, size, size / 10)
    size = _decimal(step, f"parameter {name!r} step")
    smallest = size if min_step is None else _decimal(min_step, f"parameter {name!r} min-step")
    if size <= 0 or smallest <= 0:
        raise OptimizerError(f"parameter {name!r}: step and min-step must be positive, got {size} and {smallest}")
    if size < smallest:
        raise OptimizerError(f"parameter {name!r}: step {size} is smaller than min-step {smallest}")
    return StepParameter(name, lo, hi, size, smallest)


def objective_path(target: str) -> list[str]:
    """LEAN's Objective: a name without a dot is ``Statistics.<name>``; ``['...']`` quoting is optional."""
    text = target if "." in target else f"Statistics.{target}"
    return [part.replace("[", "").replace("]", "").replace("'", "") for part in text.split(".")]


def cli_target(text: str) -> str:
    """lean-cli's parse_target: "Sharpe Ratio" -> "TotalPerformance.PortfolioStatistics.SharpeRatio"."""
    if "." in text:
        return text
    words = re.sub(r"([A-Z])", r" \1", text).title().replace(" ", "")
    return f"TotalPerformance.PortfolioStatistics.{words}"


def normalized(text: Any) -> Decimal | None:
    """LEAN's ToNormalizedDecimal: "20.0%" -> 0.2; None when the value is not a number."""
    raw = str(text).strip()
    try:
        value = Decimal(raw.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None
    return value / 100 if raw.endswith("%") else value


def lookup(result: dict, target: str) -> Decimal | None:
    """The target's value in a backtest result JSON (case-insensitive keys), or None when it is absent."""
    path = objective_path(target)
    node: Any = result
    for key in path:
        if not isinstance(node, dict):
            return None
        match = next((k for k in node if k.lower() == key.lower()), None)
        if match is None:
            if [p.lower() for p in path[:2]] == ["totalperformance", "portfoliostatistics"] and len(path) == 3:
                stats = result.get("statistics", {})
                name = next((k for k in stats if k.replace(" ", "").lower() == path[2].lower()), None)
                return normalized(stats[name]) if name else None
            return None
        node = node[match]
    return None if isinstance(node, dict | list) else normalized(node)


@dataclass(frozen=True)
class Constraint:
    target: str
    operator: str
    value: Decimal

    def is_met(self, result: dict) -> bool:
        actual = lookup(result, self.target)
        return actual is not None and OPERATORS[self.operator](actual, self.value)

    def __str__(self) -> str:
        symbol = {v: k for k, v in SYMBOLS.items()}[self.operator]
        return f"{self.target} {symbol} {_text(self.value)}"


def parse_constraint(text: str) -> Constraint:
    """lean-cli's "STATISTIC OPERATOR VALUE", e.g. "Sharpe Ratio >= 0.5" or "Drawdown < 0.25"."""
    parts = text.rsplit(" ", 2)
    if len(parts) != 3 or parts[1] not in SYMBOLS:
        raise OptimizerError(f"constraint {text!r} must read \"STATISTIC OPERATOR VALUE\" with OPERATOR one of "
                             f"{' '.join(SYMBOLS)}, e.g. \"Drawdown < 0.25\"")
    return Constraint(cli_target(parts[0]), SYMBOLS[parts[1]], _decimal(parts[2], f"constraint {text!r} value"))


@dataclass(frozen=True)
class Criterion:
    target: str
    extremum: str  # "max" or "min"
    target_value: Decimal | None = None

    def better(self, current: Decimal | None, candidate: Decimal) -> bool:
        """LEAN's Extremum.Better: strictly better, so the first of equal results is kept."""
        return current is None or (candidate > current if self.extremum == "max" else candidate < current)

    def reached(self, current: Decimal | None) -> bool:
        """LEAN's Target.IsComplied: the best so far equals or beats ``target-value``."""
        tv = self.target_value
        return tv is not None and current is not None and (current == tv or self.better(tv, current))


@dataclass
class OptimizerConfig:
    strategy: str                      # LEAN's class name
    criterion: Criterion
    parameters: list[Parameter]
    constraints: list[Constraint] = field(default_factory=list)
    segments: int = 10                 # optimization-strategy-settings.default-segment-amount
    max_concurrent: int | None = None  # maximum-concurrent-backtests

    @property
    def euler(self) -> bool:
        return self.strategy.endswith("EulerSearchOptimizationStrategy")

    @classmethod
    def from_options(cls, strategy: str, target: str, direction: str, parameters: Iterable[tuple],
                     constraints: Iterable[str] = (), max_concurrent: int | None = None) -> OptimizerConfig:
        """What ``lean optimize --strategy ... --target ... --parameter ... --constraint ...`` writes."""
        params: list[Parameter] = [step_parameter(name, lo, hi, step) for name, lo, hi, step in parameters]
        if not params:
            raise OptimizerError("give at least one --parameter NAME MIN MAX STEP")
        return cls(STRATEGIES[strategy.lower()], Criterion(cli_target(target), direction.lower()), params,
                   [parse_constraint(c) for c in constraints], 10, max_concurrent)

    @classmethod
    def from_lean(cls, config: dict, where: str = "optimizer config") -> OptimizerConfig:
        """LEAN's Optimizer.Launcher config.json (the algorithm-* keys are ignored, as lean-cli does)."""
        unknown = set(config) - LAUNCHER_KEYS - {"optimization-strategy", "optimization-strategy-settings",
                                                 "optimization-criterion", "constraints", "parameters",
                                                 "maximum-concurrent-backtests"}
        if unknown:
            raise OptimizerError(f"{where}: qclocal does not support the key(s) {', '.join(sorted(unknown))}")
        name = str(config.get("optimization-strategy", STRATEGIES["grid search"]))
        # a class name with or without its namespace, or the label lean-cli shows ("Euler Search")
        strategy = next((full for label, full in STRATEGIES.items()
                         if name.lower() == label or name.rsplit(".", 1)[-1] == full.rsplit(".", 1)[-1]), None)
        if strategy is None:
            raise OptimizerError(f"{where}: \"optimization-strategy\" {name!r} is not one of "
                                 f"{', '.join(STRATEGIES.values())}")
        settings = config.get("optimization-strategy-settings") or {}
        segments = int(settings.get("default-segment-amount") or (10 if "Grid" in strategy else 4))
        if segments < 1:
            raise OptimizerError(f"{where}: \"default-segment-amount\" must be positive, got {segments}")
        criterion = config.get("optimization-criterion") or {"target": "Statistics.TotalProfit", "extremum": "max"}
        extremum = str(criterion.get("extremum", "")).lower()
        if not criterion.get("target") or extremum not in ("min", "max"):
            raise OptimizerError(f"{where}: \"optimization-criterion\" needs a \"target\" and \"extremum\" "
                                 f"min or max, got {criterion}")
        value = criterion.get("target-value", criterion.get("targetValue"))
        target = Criterion(criterion["target"], extremum,
                           None if value is None else _decimal(value, "optimization-criterion target-value"))
        params = [_lean_parameter(p, segments, where) for p in config.get("parameters") or []]
        if not params:
            raise OptimizerError(f"{where}: \"parameters\" is empty; give at least one parameter to optimize")
        constraints = []
        for c in config.get("constraints") or []:
            op = next((o for o in OPERATORS if o.lower() == str(c.get("operator", "")).lower()), None)
            if op is None or "target" not in c:
                raise OptimizerError(f"{where}: constraint {c} needs a \"target\" and an \"operator\" among "
                                     f"{', '.join(OPERATORS)}")
            constraints.append(Constraint(c["target"], op, _decimal(c.get("target-value", c.get("targetValue")),
                                                                    f"constraint {c} target-value")))
        concurrent = config.get("maximum-concurrent-backtests")
        return cls(strategy, target, params, constraints, segments, int(concurrent) if concurrent else None)

    def to_lean(self) -> dict:
        criterion: dict[str, Any] = {"target": self.criterion.target, "extremum": self.criterion.extremum}
        if self.criterion.target_value is not None:
            criterion["target-value"] = float(self.criterion.target_value)
        config = {
            "optimization-strategy": self.strategy,
            "optimization-strategy-settings": {
                "$type": "QuantConnect.Optimizer.Strategies.StepBaseOptimizationStrategySettings, "
                         "QuantConnect.Optimizer",
                "default-segment-amount": self.segments},
            "optimization-criterion": criterion,
            "parameters": [p.to_lean() for p in self.parameters],
            "constraints": [{"target": c.target, "operator": c.operator, "target-value": float(c.value)}
                            for c in self.constraints],
        }
        if self.max_concurrent:
            config["maximum-concurrent-backtests"] = self.max_concurrent
        return config


def _lean_parameter(spec: dict, segments: int, where: str) -> Parameter:
    spec = {k.lower(): v for k, v in spec.items()}
    name = spec.get("name", spec.get("key"))
    if not name:
        raise OptimizerError(f"{where}: parameter {spec} has no \"name\"")
    if "min" in spec and "max" in spec:
        return step_parameter(name, spec["min"], spec["max"], spec.get("step"),
                              spec.get("min-step", spec.get("minstep")), segments)
    if "value" in spec:
        return StaticParameter(name, str(spec["value"]))
    raise OptimizerError(f"{where}: parameter {name!r} needs \"min\" and \"max\" (and optionally \"step\", "
                         f"\"min-step\") or a static \"value\"")


def grid(parameters: list[Parameter]) -> list[dict[str, str]]:
    """Every parameter set, the first parameter outermost (LEAN's StepBaseOptimizationStrategy.Step)."""
    sets: list[dict[str, str]] = [{}]
    for parameter in parameters:
        sets = [{**s, parameter.name: v} for s in sets for v in parameter.values()]
    return sets


def refine(parameters: list[Parameter], best: dict[str, str], segments: int) -> list[Parameter] | None:
    """Euler search's next, finer scope around ``best``; None once every step is down to its min-step."""
    if not any(isinstance(p, StepParameter) and p.step > p.min_step for p in parameters):
        return None
    out: list[Parameter] = []
    for p in parameters:
        if isinstance(p, StepParameter) and p.step > p.min_step:
            step = max(p.min_step, p.step / segments)
            half = step * (Decimal(segments) / 2)
            centre = Decimal(best[p.name])
            out.append(StepParameter(p.name, max(p.min, centre - half), min(p.max, centre + half), step,
                                     p.min_step))
        else:
            out.append(p)
    return out


@dataclass
class Backtest:
    id: int
    parameters: dict[str, str]
    status: str = "Completed"
    error: str | None = None
    result: dict = field(default_factory=dict)  # the result JSON's statistics part ({"statistics": ...})
    folder: str | None = None
    target: Decimal | None = None
    constraints_met: bool = False
    counted: bool = True  # False once the optimization ended (target-value reached) before this result


@dataclass
class Optimization:
    config: OptimizerConfig
    backtests: list[Backtest]
    best: Backtest | None
    target_reached: bool = False

    def ranked(self) -> list[Backtest]:
        """Backtests that completed, met the constraints and have the target: best first, ties by id."""
        eligible = [b for b in self.backtests if b.status == "Completed" and b.constraints_met
                    and b.target is not None and b.counted]
        sign = -1 if self.config.criterion.extremum == "max" else 1
        return sorted(eligible, key=lambda b: (sign * b.target, b.id))  # type: ignore[operator]

    def summary(self) -> pd.DataFrame:
        rank = {b.id: i + 1 for i, b in enumerate(self.ranked())}
        names = [p.name for p in self.config.parameters]
        rows = []
        for b in sorted(self.backtests, key=lambda b: (rank.get(b.id, len(rank) + 1), b.id)):
            stats = b.result.get("statistics", {})
            rows.append({"rank": rank.get(b.id), "id": b.id, **{n: b.parameters.get(n) for n in names},
                         "status": b.status, "target": None if b.target is None else float(b.target),
                         "constraints met": b.constraints_met, "counted": b.counted,
                         **{s: stats.get(s) for s in SUMMARY_STATISTICS},
                         "error": (b.error or "").strip().splitlines()[-1] if b.error else None,
                         "folder": b.folder})
        return pd.DataFrame(rows).astype({"rank": "Int64"})


def search(config: OptimizerConfig, evaluate: Callable[[list[tuple[int, dict[str, str]]]], list[Backtest]],
           log: Callable[[str], None] = lambda line: None) -> Optimization:
    """Run Grid or Euler search; ``evaluate`` runs one round of (id, parameter set)s and returns their Backtests."""
    parameters, next_id = list(config.parameters), 1
    backtests: list[Backtest] = []
    seen: dict[tuple, Backtest] = {}
    best: Backtest | None = None
    reached = False
    for round_no in range(1, 10_000):
        jobs = []
        for values in grid(parameters):
            key = tuple(sorted(values.items()))
            if key in seen:
                log(f"ParameterSet {next_id} ({_set_text(values)}) already ran as backtest {seen[key].id}")
            else:
                jobs.append((next_id, values))
            next_id += 1
        log(f"Round {round_no}: {len(jobs)} backtests over "
            + ", ".join(f"{p.name} {_range_text(p)}" for p in parameters))
        for backtest in evaluate(jobs):
            seen[tuple(sorted(backtest.parameters.items()))] = backtest
            backtests.append(backtest)
            if backtest.status != "Completed":
                log(f"Backtest {backtest.id} ({_set_text(backtest.parameters)}) failed: "
                    f"{(backtest.error or '').strip().splitlines()[-1:]}")
                continue
            backtest.constraints_met = all(c.is_met(backtest.result) for c in config.constraints)
            backtest.target = lookup(backtest.result, config.criterion.target)
            backtest.counted = not reached
            if reached or not backtest.constraints_met or backtest.target is None:
                continue
            if config.criterion.better(best.target if best else None, backtest.target):
                best = backtest
                reached = config.criterion.reached(best.target)
        if not config.euler or best is None or reached:
            break
        parameters = refine(parameters, best.parameters, config.segments)
        if parameters is None:
            break
    return Optimization(config, backtests, best, reached)


def _set_text(values: dict[str, str]) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(values.items()))  # LEAN's ParameterSet.ToString


def _range_text(p: Parameter) -> str:
    if isinstance(p, StaticParameter):
        return f"= {p.value}"
    return f"[{_text(p.min)}, {_text(p.max)}] step {_text(p.step)}"


# ---- running it on a project ---------------------------------------------------------------------------------


def output_folder(project: Project, output: Path | None) -> Path:
    """A new folder: ``--output`` if absent or empty, else ``optimizations/<time>`` made unique."""
    if output is not None:
        output = Path(output).absolute()
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise OptimizerError(f"--output {output} already exists and is not an empty folder; "
                                 "choose a new folder (qclocal never writes into files it did not create)")
        output.mkdir(parents=True, exist_ok=True)
        return output
    root = project.path / "optimizations"
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    for n in range(1, 10_000):
        folder = root / (stamp if n == 1 else f"{stamp}_{n}")
        try:
            folder.mkdir()  # atomic: two runs in the same second get different folders
            return folder
        except FileExistsError:
            continue
    raise OptimizerError(f"could not make a new folder in {root}")


def check_parameters(project: Project, config: OptimizerConfig) -> None:
    known = set(project.config.get("parameters", {}))
    unknown = [p.name for p in config.parameters if p.name not in known]
    if unknown:
        raise OptimizerError(f"{project.path / 'config.json'} has no parameter(s) {', '.join(unknown)} "
                             f"(it has: {', '.join(sorted(known)) or 'none'}); an algorithm reads only the "
                             "parameters its config.json declares")


@dataclass(frozen=True)
class BacktestTask:
    id: int
    project: str
    parameters: dict[str, str]
    folder: str
    data_folder: str | None
    object_store: str | None


def run_backtest(task: BacktestTask) -> Backtest:
    """One backtest of the sweep, in a worker: reads data and the ObjectStore, writes only ``task.folder``."""
    from qclocal.backtest import load_project, run_project

    backtest = Backtest(task.id, task.parameters, folder=task.folder)
    try:
        project = load_project(Path(task.project), task.parameters)
        result, _ = run_project(project, data_folder=task.data_folder and Path(task.data_folder),
                                object_store=task.object_store and Path(task.object_store),
                                output=Path(task.folder), show_progress=False)
    except Exception as exc:  # noqa: BLE001 - recorded with the backtest; the sweep goes on
        backtest.status, backtest.error = "Failed", "".join(traceback.format_exception(exc))
        return backtest
    backtest.status, backtest.error = result.status, result.error
    backtest.result = {"statistics": result.statistics, "runtimeStatistics": result.runtime_statistics}
    return backtest


def optimize(project: Project, config: OptimizerConfig, output: Path | None = None,
             data_folder: Path | None = None, object_store: Path | None = None, backend: str | None = None,
             address: str | None = None, show_progress: bool = True) -> tuple[Optimization, Path]:
    from models.parallel import parallel_map, resolve_backend

    check_parameters(project, config)
    try:
        backend = resolve_backend(backend, address)
    except ValueError as exc:
        raise OptimizerError(f"--backend/--address: {exc}") from None
    folder = output_folder(project, output)
    (folder / "optimizer-config.json").write_text(json.dumps(config.to_lean(), indent=4) + "\n")
    workers = config.max_concurrent or max(1, (os.cpu_count() or 2) // 2)  # LEAN's default: half the cores
    rounds: list[int] = []
    with (folder / "log.txt").open("w") as log_file:
        def log(line: str) -> None:
            log_file.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {line}\n")
            log_file.flush()

        def evaluate(jobs: list[tuple[int, dict[str, str]]]) -> list[Backtest]:
            tasks = [BacktestTask(i, str(project.path), {**project.parameters, **values}, str(folder / f"{i:04d}"),
                                  data_folder and str(data_folder), object_store and str(object_store))
                     for i, values in jobs]
            rounds.append(len(tasks))
            desc = f"backtests (round {len(rounds)})" if config.euler else "backtests"
            done = parallel_map(run_backtest, tasks, n_jobs=workers, backend=backend, address=address,
                                desc=desc if show_progress else None)
            for backtest, (_, values) in zip(done, jobs, strict=True):
                backtest.parameters = values  # the optimized ones; the folder's JSON holds the rest
            return done

        log(f"Optimizing {project.path} with {config.strategy.rsplit('.', 1)[-1]}, target "
            f"{config.criterion.extremum} {config.criterion.target}, {workers} concurrent backtests")
        result = search(config, evaluate, log)
        if result.best is not None:
            log(f"Optimization has ended. Result for {config.criterion.target} ({config.criterion.extremum}) "
                f"was reached using ParameterSet: ({_set_text(result.best.parameters)}) backtestId "
                f"'{result.best.id:04d}'")
        else:
            log("Optimization has ended. Result was not reached")
    write_results(result, folder)
    return result, folder


def write_results(result: Optimization, folder: Path) -> None:
    result.summary().to_csv(folder / "summary.csv", index=False)
    best = result.best
    payload = {
        "strategy": result.config.strategy,
        "criterion": result.config.to_lean()["optimization-criterion"],
        "constraints": [str(c) for c in result.config.constraints],
        "best": None if best is None else {"id": best.id, "parameters": best.parameters,
                                           "target": float(best.target) if best.target is not None else None,
                                           "folder": best.folder},
        "targetReached": result.target_reached,
        "backtests": [{"id": b.id, "parameters": b.parameters, "status": b.status, "error": b.error,
                       "target": None if b.target is None else float(b.target),
                       "constraintsMet": b.constraints_met, "counted": b.counted, "statistics": b.result.get("statistics", {}),
                       "folder": b.folder} for b in result.backtests],
    }
    (folder / "optimization.json").write_text(json.dumps(payload, indent=1))


def load_config(path: Path) -> OptimizerConfig:
    return OptimizerConfig.from_lean(read_json(Path(path), allow_comments=True), str(path))


def run_from_options(project_dir: Path, optimizer_config: Path | None, strategy: str | None, target: str | None,
                     direction: str | None, parameters: tuple, constraints: tuple, max_concurrent: int | None,
                     output: Path | None = None, data_folder: Path | None = None, object_store: Path | None = None,
                     backend: str | None = None, address: str | None = None,
                     show_progress: bool = True) -> tuple[Optimization, Path]:
    """``qclocal optimize`` as ``lean optimize`` reads its options (without the interactive wizard)."""
    from qclocal.backtest import load_project

    if optimizer_config is not None:
        if strategy is not None:
            raise OptimizerError("--optimizer-config and --strategy are mutually exclusive")
        if target or direction or parameters or constraints:
            raise OptimizerError("--target, --target-direction, --parameter and --constraint go with --strategy; "
                                 "with --optimizer-config put them in the file")
        config = load_config(optimizer_config)
    elif strategy is not None:
        missing = [name for name, value in (("--target", target), ("--target-direction", direction),
                                            ("--parameter", parameters)) if not value]
        if missing:
            raise OptimizerError(f"--strategy needs {', '.join(missing)} as well")
        assert target is not None and direction is not None
        config = OptimizerConfig.from_options(strategy, target, direction, parameters, constraints)
    else:
        raise OptimizerError("give --strategy with --target, --target-direction and --parameter, or "
                             "--optimizer-config FILE (qclocal has no interactive wizard)")
    if max_concurrent:
        config.max_concurrent = max_concurrent
    return optimize(load_project(project_dir), config, output, data_folder, object_store, backend, address,
                    show_progress)


def report(result: Optimization, folder: Path) -> tuple[str, bool]:
    """What the command prints, and whether the optimization produced anything (exit status)."""
    from qclocal.backtest import format_statistics

    done = [b for b in result.backtests if b.status == "Completed"]
    failed = len(result.backtests) - len(done)
    dropped = sum(not b.constraints_met for b in done)
    lines = [f"{len(result.backtests)} backtests: {len(done)} completed, {failed} failed, "
             f"{dropped} dropped by the constraints"]
    ok = True
    if result.best is not None:
        best = result.best
        lines += [f"Optimal parameters: {', '.join(f'{k}: {v}' for k, v in sorted(best.parameters.items()))}",
                  f"Optimal backtest results ({best.folder}):", format_statistics(best.result["statistics"])]
    elif not done:
        errors = [b.error.strip().splitlines()[-1] for b in result.backtests if b.error]
        lines.append(f"Every backtest failed; the first error: {errors[0] if errors else 'unknown'}")
        ok = False
    elif all(b.target is None for b in done):
        names = ", ".join(done[0].result.get("statistics", {}))
        lines.append(f"The target {result.config.criterion.target!r} is not a statistic of these backtests; "
                     f"use one of: {names}")
        ok = False
    else:
        lines.append("No backtest met the constraints: " + "; ".join(map(str, result.config.constraints)))
        absent = [str(c) for c in result.config.constraints if all(lookup(b.result, c.target) is None for b in done)]
        if absent:
            lines.append(f"These name no statistic of the backtests: {'; '.join(absent)}; statistics are: "
                         + ", ".join(done[0].result.get("statistics", {})))
    lines.append(f"Results in {folder} (summary.csv ranks the backtests by the target)")
    return "\n".join(lines), ok
