"""Train the per-pair classifiers at one cutoff, or a walk-forward timeline of cutoffs.

At a cutoff, for every pair (all steps see only closes before the cutoff):

1. **Grid search on validation.** Spread statistics and the feature scaler are fitted on the inner training rows;
   each grid configuration is fitted once (seed ``seeds[0]``) and scored by F1 at P > 0.5 on the last
   ``validation_days`` samples, with ``window`` rows purged between (see :mod:`.dataset`).
2. **Seeds and threshold.** The chosen configuration is fitted with every seed on the same split; the F1 of each
   seed is recorded (mean and spread), and the probability threshold that maximises the ensemble's F1 on
   validation becomes the pair's threshold.
3. **Final fit.** Statistics, scaler and one network per seed are refitted on all training rows (labels ending
   before the cutoff). The seed ensemble (mean probability) is the model.

All fits go through ``models.parallel.parallel_map`` (joblib or a cluster backend) with a progress bar.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dates import as_timestamp
from ..parallel import parallel_map
from .dataset import TRAIN, VALIDATION, Segments, reversion_labels, segments, windows
from .features import FEATURE_NAMES, SpreadStats, compute_features, fit_stats, spread
from .model import build_classifier, fit_classifier, predict_proba

__all__ = ["PairSpec", "PAIRS", "GRID", "GRIDS", "HYPERPARAMETERS", "SOURCE_THRESHOLDS", "THRESHOLD_CANDIDATES",
           "TrainedPair", "grid_configs", "grid_search", "latest_probabilities", "parse_pairs", "prepare", "train_cutoff", "train_timeline", "CLIP"]


@dataclass(frozen=True)
class PairSpec:
    """A pair (long A / short B is "long the spread") with its label ``window`` and ``threshold``."""

    a: str
    b: str
    window: int
    threshold: float

    @property
    def name(self) -> str:
        return f"{self.a}_{self.b}"


# The source's pairs with its per-pair (window, threshold), and its per-pair probability thresholds.
PAIRS: tuple[PairSpec, ...] = (PairSpec("IEMG", "EEM", 3, 0.01), PairSpec("ARKK", "ARKW", 7, 0.03),
                               PairSpec("TLT", "SPTL", 7, 0.01), PairSpec("SHY", "VGSH", 7, 0.01),
                               PairSpec("SOXX", "ITA", 20, 0.1))
SOURCE_THRESHOLDS = {"IEMG_EEM": 0.5, "ARKK_ARKW": 0.45, "TLT_SPTL": 0.5, "SHY_VGSH": 0.45, "SOXX_ITA": 0.105}
# The source's classifier and training (its run_pair used window_size 3).
HYPERPARAMETERS: dict[str, Any] = {"hidden": 50, "layers": 1, "learning_rate": 1e-3, "window_size": 3,
                                   "batch_size": 64, "epochs": 50}
# The source's grid: 3 x 3 x 3 x 3 x 2 = 162 configurations (the source ignored batch_size and always used 64).
GRID: dict[str, list] = {"hidden": [30, 50, 70], "learning_rate": [1e-3, 5e-4, 1e-4], "window_size": [3, 5, 7],
                         "batch_size": [32, 64, 128], "layers": [1, 2]}
# Grid presets of the notebook's ``grid`` parameter: the source's 162, a reduced 4 that fits a shared 2-core
# machine, a tiny one for tests and demos, and "none" (the source's run_pair configuration, no search).
GRIDS: dict[str, dict[str, list] | None] = {
    "full": GRID,
    "reduced": {"hidden": [30, 70], "window_size": [3, 7]},   # the rest at the source's values
    "tiny": {"hidden": [8], "window_size": [3, 5]},
    "none": None,
}
THRESHOLD_CANDIDATES = tuple(round(x, 3) for x in np.arange(0.05, 0.951, 0.025))
CLIP = 10.0  # scaled features are clipped to +-CLIP training standard deviations (pct changes of a spread near 0)


def parse_pairs(text: str, specs: tuple[PairSpec, ...] = PAIRS) -> list[PairSpec]:
    """``"IEMG/EEM,TLT/SPTL"`` (or ``IEMG_EEM``) -> the known :class:`PairSpec` s, in the given order."""
    known = {s.name: s for s in specs}
    out = []
    for item in (t.strip().replace("/", "_").upper() for t in str(text).split(",")):
        if not item:
            continue
        if item not in known:
            raise ValueError(f"unknown pair {item!r}; known pairs: {', '.join(known)}")
        out.append(known[item])
    if not out:
        raise ValueError(f"no pairs given in {text!r}")
    return out


def grid_configs(grid: Mapping[str, Sequence[Any]] | None = None) -> list[dict[str, Any]]:
    """Every combination of ``grid`` (default :data:`GRID`), in a fixed order."""
    grid = GRID if grid is None else grid
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


@dataclass
class Prepared:
    """One pair's features, labels and row roles under statistics fitted on training rows."""

    stats: SpreadStats
    features: pd.DataFrame
    labels: pd.Series
    segments: Segments
    mean: np.ndarray
    scale: np.ndarray

    @property
    def X(self) -> np.ndarray:
        return scale_features(self.features, self.mean, self.scale)

    @property
    def y(self) -> np.ndarray:
        return self.labels.to_numpy(dtype=float)


def scale_features(features: pd.DataFrame, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.clip((features.to_numpy(dtype=float) - mean) / scale, -CLIP, CLIP)


def prepare(closes: pd.DataFrame, spec: PairSpec, cutoff, *, train_start=None, validation_days: int = 0
            ) -> Prepared:
    """Features and labels of ``closes`` (columns A, B) under statistics fitted on training closes only.

    With ``validation_days``, the statistics and scaler come from the inner training rows (before the
    validation block); otherwise from every row before the cutoff."""
    cut = as_timestamp(cutoff, "cutoff").normalize()
    closes = closes[[spec.a, spec.b]].dropna()
    if train_start is not None:
        closes = closes[closes.index >= as_timestamp(train_start, "train_start")]
    train = closes[closes.index < cut]
    if len(train) < 3 * spec.window + 10:
        raise ValueError(f"{spec.name}: only {len(train)} closes before cutoff {cut.date()}; "
                         "load more history or choose a later cutoff")
    stats = fit_stats(train)
    features, labels, roles = _labelled(closes, stats, spec, cut, validation_days)
    if validation_days > 0:
        first_val = closes.index[roles.role == VALIDATION]
        if len(first_val) == 0:
            raise ValueError(f"{spec.name}: no validation rows before cutoff {cut.date()}")
        stats = fit_stats(train[train.index < first_val[0]])
        features, labels, roles = _labelled(closes, stats, spec, cut, validation_days)
    fit_rows = features.to_numpy(dtype=float)[roles.role == TRAIN]
    mean, scale = fit_rows.mean(axis=0), fit_rows.std(axis=0)
    scale[~(scale > 0)] = 1.0
    return Prepared(stats, features, labels, roles, mean, scale)


def _labelled(closes: pd.DataFrame, stats: SpreadStats, spec: PairSpec, cut: pd.Timestamp, validation_days: int
              ) -> tuple[pd.DataFrame, pd.Series, Segments]:
    features = compute_features(closes, stats, spec.window)
    labels = reversion_labels(spread(closes, stats), stats.spread_mean, spec.window, spec.threshold)
    return features, labels, segments(features, labels, cut, spec.window, validation_days)


def _f1(y: np.ndarray, prob: np.ndarray, threshold: float) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y.astype(int), (prob > threshold).astype(int), zero_division=0))


def _fit_job(job: dict[str, Any]) -> dict[str, Any]:
    """Worker: fit one network on TRAIN windows; score VALIDATION windows when there are any."""
    config, role = job["config"], job["role"]
    X, y, _ = windows(job["X"], job["y"], role, int(config["window_size"]), TRAIN)
    started = time.perf_counter()
    model = fit_classifier(X, y, seed=job["seed"], **config)
    out: dict[str, Any] = {"seconds": time.perf_counter() - started, "n_train": len(y),
                           "train_positive_rate": float(y.mean())}
    if job.get("keep"):
        out["weights"] = model.get_weights()
    Xv, yv, _ = windows(job["X"], job["y"], role, int(config["window_size"]), VALIDATION)
    if len(yv):
        prob = predict_proba([model], Xv)
        out.update(val_prob=prob, val_y=yv, f1=_f1(yv, prob, 0.5))
    return out


@dataclass
class TrainedPair:
    """A pair's seed ensemble at one cutoff, with its spread statistics, scaler and probability threshold."""

    spec: PairSpec
    cutoff: date
    stats: SpreadStats
    mean: np.ndarray
    scale: np.ndarray
    models: list[Any]
    hyperparameters: dict[str, Any]
    probability_threshold: float
    train_window: tuple[date, date]
    validation_window: tuple[date, date] | None
    metrics: dict[str, Any] = field(default_factory=dict)
    grid: pd.DataFrame | None = None

    @property
    def window_size(self) -> int:
        return int(self.hyperparameters["window_size"])

    def features(self, closes: pd.DataFrame) -> pd.DataFrame:
        return compute_features(closes[[self.spec.a, self.spec.b]], self.stats, self.spec.window)

    def probabilities(self, closes: pd.DataFrame) -> pd.Series:
        """P(reversion) at every date of ``closes`` whose ``window_size`` feature rows are complete."""
        features = self.features(closes)
        X = scale_features(features, self.mean, self.scale)
        complete = features.notna().all(axis=1).to_numpy()
        batch, _, ends = windows(X, np.zeros(len(X)), np.where(complete, TRAIN, -1), self.window_size, TRAIN)
        return pd.Series(predict_proba(self.models, batch), index=features.index[ends], name="probability")


def latest_probabilities(models: Mapping[str, TrainedPair], closes: pd.DataFrame) -> dict[str, float]:
    """P(reversion) at the last row of ``closes`` (one column per ticker) for every pair in ``models``: the
    algorithm's one inference call per day. Each pair's newest window is built from its own legs; every member
    network runs once on it (NaN when the window is incomplete, e.g. a leg without today's close)."""
    out: dict[str, float] = {}
    for name, model in models.items():
        features = model.features(closes).iloc[-model.window_size:]
        if len(features) < model.window_size or features.isna().any(axis=None):
            out[name] = float("nan")
            continue
        window = scale_features(features, model.mean, model.scale)[None].astype(np.float32)
        out[name] = float(predict_proba(model.models, window)[0])
    return out


def _window(index: pd.Index, roles: np.ndarray, which: int) -> tuple[date, date] | None:
    rows = index[roles == which]
    return (rows[0].date(), rows[-1].date()) if len(rows) else None


def _job(prep: Prepared, config: dict, seed: int, keep: bool) -> dict[str, Any]:
    return {"X": prep.X, "y": prep.y, "role": prep.segments.role, "config": config, "seed": seed, "keep": keep}


ARCHITECTURE = ("window_size", "hidden", "layers")   # what a compiled trainer depends on (see .model)


def _fit_group(group: dict[str, Any]) -> pd.DataFrame:
    """Worker: one architecture's fits in one process, so its compiled trainer is traced once; the rows are
    written to ``group["file"]`` (atomically) when one is given."""
    rows = []
    for pair, config in group["fits"]:
        r = _fit_job(dict(group["data"][pair], config={k: v for k, v in config.items() if k != "config"}))
        rows.append(dict(pair=pair, **config, val_f1=r.get("f1", np.nan), seconds=r["seconds"]))
    table = pd.DataFrame(rows)
    if group["file"] is not None:
        part = Path(f"{group['file']}.part")
        table.to_csv(part, index=False)
        part.replace(group["file"])
    return table


def grid_search(closes: pd.DataFrame, specs: Sequence[PairSpec], cutoff, *, grid: Mapping[str, Sequence[Any]],
                hyperparameters: Mapping[str, Any] | None = None, seed: int = 0, train_start=None,
                validation_days: int = 252, n_jobs: int | None = None, backend: str | None = None,
                progress: bool = True, checkpoint: str | Path | None = None, limit: int | None = None
                ) -> pd.DataFrame:
    """Validation F1 (at P > 0.5, seed ``seed``) of every configuration of ``grid`` for every pair: one row per
    (pair, configuration), with the fit's seconds.

    Jobs are grouped by architecture (window_size x hidden x layers; each group holds all pairs, learning rates
    and batch sizes), so each worker traces and compiles an architecture once. With ``checkpoint`` (a folder),
    each finished group is written there and groups found there are read back instead of refitted, so an
    interrupted search resumes where it stopped. ``limit`` fits at most that many new groups (a partial grid)."""
    cut = as_timestamp(cutoff, "cutoff").normalize()
    base = dict(HYPERPARAMETERS, **(hyperparameters or {}))
    groups: dict[tuple, list[tuple[str, dict]]] = {}
    for number, config in enumerate(dict(base, **c) for c in grid_configs(grid)):
        config["config"] = number   # its place in grid order (ties in F1 go to the first)
        for s in specs:
            groups.setdefault(tuple(config[k] for k in ARCHITECTURE), []).append((s.name, config))
    folder = Path(checkpoint) if checkpoint is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    files = {key: folder / f"{cut.date()}-ws{key[0]}-h{key[1]}-l{key[2]}.csv" if folder else None
             for key in groups}
    done = [key for key in groups if files[key] is not None and files[key].exists()]
    todo = [key for key in groups if key not in done][:limit]
    data = {s.name: _job(prepare(closes, s, cut, train_start=train_start, validation_days=validation_days),
                         {}, seed, False) for s in specs}
    fitted = parallel_map(_fit_group, [{"fits": groups[key], "data": data, "file": files[key]} for key in todo],
                          n_jobs=n_jobs, backend=backend,
                          desc=f"pairs_reversion {cut.date()}: grid, {len(todo)} architecture groups of "
                               f"{len(groups)} ({len(groups[todo[0]]) if todo else 0} fits each)"
                          if progress else None)
    tables = [pd.read_csv(files[key]) for key in done] + fitted
    if not tables:
        return pd.DataFrame()
    return pd.concat(tables).sort_values(["config", "pair"], kind="stable").reset_index(drop=True)


def train_cutoff(closes: pd.DataFrame, specs: Sequence[PairSpec], cutoff, *, train_start=None,
                 grid: Mapping[str, Sequence[Any]] | None = None, hyperparameters: Mapping[str, Any] | None = None,
                 seeds: Sequence[int] = (0, 1, 2), validation_days: int = 252, n_jobs: int | None = None,
                 backend: str | None = None, progress: bool = True, search: pd.DataFrame | None = None,
                 checkpoint: str | Path | None = None, grid_limit: int | None = None) -> dict[str, TrainedPair]:
    """The trained ensemble of every pair at ``cutoff``; ``closes`` holds one column per ticker (any later
    rows are ignored). ``grid=None`` skips the search and uses ``hyperparameters`` (default the source's);
    ``search`` (a :func:`grid_search` table of this cutoff, possibly partial) chooses from it instead of
    searching; ``checkpoint`` and ``grid_limit`` go to :func:`grid_search` (``limit``)."""
    cut = as_timestamp(cutoff, "cutoff").normalize()
    base = dict(HYPERPARAMETERS, **(hyperparameters or {}))
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    started = time.perf_counter()
    if search is None and grid and len(grid_configs(grid)) > 1:
        search = grid_search(closes, specs, cut, grid=grid, hyperparameters=hyperparameters, seed=seeds[0],
                             train_start=train_start, validation_days=validation_days, n_jobs=n_jobs,
                             backend=backend, progress=progress, checkpoint=checkpoint,
                             limit=grid_limit)
    grid_seconds = time.perf_counter() - started
    tables = {s.name: (search[search["pair"] == s.name].drop(columns="pair").reset_index(drop=True)
                       if search is not None else pd.DataFrame()) for s in specs}
    chosen = {p: _chosen(t, base) for p, t in tables.items()}
    inner = {s.name: prepare(closes, s, cut, train_start=train_start, validation_days=validation_days)
             for s in specs}
    tag = f"pairs_reversion {cut.date()}"
    todo = [(s.name, seed) for s in specs for seed in seeds]
    runs = dict(zip(todo, parallel_map(_fit_job, [_job(inner[p], chosen[p], seed, False) for p, seed in todo],
                                       n_jobs=n_jobs, backend=backend,
                                       desc=f"{tag}: seeds" if progress else None), strict=True))
    full = {s.name: prepare(closes, s, cut, train_start=train_start) for s in specs}
    final = parallel_map(_fit_job, [_job(full[s.name], chosen[s.name], seed, True)
                                    for s in specs for seed in seeds],
                         n_jobs=n_jobs, backend=backend, desc=f"{tag}: final fits" if progress else None)
    out = {}
    for k, spec in enumerate(specs):
        fits = final[k * len(seeds):(k + 1) * len(seeds)]
        out[spec.name] = _assemble(spec, cut, chosen[spec.name], seeds, inner[spec.name], full[spec.name],
                                   [runs[(spec.name, seed)] for seed in seeds], fits, tables[spec.name],
                                   grid_seconds)
    return out


def _chosen(table: pd.DataFrame, base: dict[str, Any]) -> dict[str, Any]:
    """The configuration with the best validation F1 (the first in grid order on ties; NaN counts as -1)."""
    if table.empty:
        return dict(base)
    row = table.iloc[int(np.nanargmax(table["val_f1"].fillna(-1.0).to_numpy()))]
    return dict(base, **{k: type(base[k])(row[k]) for k in base if k in row})


def _assemble(spec: PairSpec, cut: pd.Timestamp, config: dict, seeds: list[int], inner: Prepared,
              full: Prepared, runs: list[dict], fits: list[dict], table: pd.DataFrame, grid_seconds: float
              ) -> TrainedPair:
    val_y = runs[0].get("val_y", np.empty(0))
    seed_f1 = [r.get("f1", np.nan) for r in runs]
    metrics: dict[str, Any] = {"grid_configs": len(table), "grid_seconds": round(grid_seconds, 1),
                               "val_f1_seeds": seed_f1, "val_f1_mean": float(np.nanmean(seed_f1)) if
                               len(val_y) else None, "val_f1_std": float(np.nanstd(seed_f1)) if len(val_y) else None,
                               "train_n": fits[0]["n_train"], "train_positive_rate": fits[0]["train_positive_rate"],
                               "val_n": int(len(val_y))}
    threshold = 0.5
    if len(val_y):
        prob = np.mean([r["val_prob"] for r in runs], axis=0)
        f1s = [(_f1(val_y, prob, t), -abs(t - 0.5), t) for t in THRESHOLD_CANDIDATES]
        best = max(f1s)
        threshold = best[2]
        p = float(val_y.mean())
        metrics.update(val_positive_rate=p, val_f1_base_rate=2 * p / (1 + p), val_f1_ensemble_05=_f1(val_y, prob, 0.5),
                       val_f1_ensemble_tuned=best[0])
    models = []
    for fit in fits:
        model = build_classifier(int(config["window_size"]), len(FEATURE_NAMES), hidden=config["hidden"],
                                 layers=config["layers"], learning_rate=config["learning_rate"])
        model.set_weights(fit["weights"])
        models.append(model)
    index = full.features.index
    return TrainedPair(
        spec=spec, cutoff=cut.date(), stats=full.stats, mean=full.mean, scale=full.scale, models=models,
        hyperparameters=dict(config, seeds=seeds, window=spec.window, threshold=spec.threshold),
        probability_threshold=float(threshold), train_window=_window(index, full.segments.role, TRAIN)
        or (cut.date(), cut.date()), validation_window=_window(inner.features.index, inner.segments.role,
                                                                 VALIDATION),
        metrics=metrics, grid=table)


def train_timeline(closes: pd.DataFrame, specs: Sequence[PairSpec], cutoffs: Sequence[Any], *,
                   log: Callable[[str], None] | None = print, **kwargs: Any) -> dict[date, dict[str, TrainedPair]]:
    """:func:`train_cutoff` at each cutoff, oldest first (each sees only its own past)."""
    out = {}
    for cutoff in sorted(as_timestamp(c, "cutoff").normalize() for c in cutoffs):
        trained = train_cutoff(closes, specs, cutoff, **kwargs)
        out[cutoff.date()] = trained
        if log is not None:
            for name, t in trained.items():
                m = t.metrics
                log(f"{cutoff.date()} {name}: config {({k: t.hyperparameters[k] for k in HYPERPARAMETERS})} "
                    f"val F1 {m.get('val_f1_mean') or float('nan'):.3f} +- {m.get('val_f1_std') or 0:.3f} "
                    f"(base rate {m.get('val_f1_base_rate') or float('nan'):.3f}), threshold "
                    f"{t.probability_threshold}")
    return out
