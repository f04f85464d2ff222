"""Train one model at a cutoff, or a walk-forward timeline of models (monthly or quarterly refits).

A model is a seed ensemble (``seeds=5`` by default): the same network trained from ``seeds`` random
initialisations (seeds ``seed, seed + 1, ...``); its score is the mean of the members' scores. One network's
ranking flips sign with its seed on real data; the mean is steadier, and ties in one member (a dead unit) are
broken by the others.

Options from the literature for a ranker with little data (judged on validation windows only, docs/mag7_lstm.md):
``pool`` adds the samples of a broader universe to the fit (the model is still validated and applied on the
eight names); ``loss="demeaned"`` or ``"listnet"`` learns the cross-section instead of the return level
(:data:`~.model.LOSSES`).

A model with cutoff ``C`` learns only from labels that end before ``C`` (see :mod:`.dataset`). It is validated on
the samples whose labels start on or after ``C`` (the first ``validation_days`` bars), when the history reaches
that far; validation never influences the fit. The source refits monthly by continuing to train the same
network; ``warm_start`` does the same from a copy, so every cutoff keeps its own model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import HORIZON, LOOKBACK, STRIDE, TRAIN_DAYS, SequenceSet, as_timestamp, build_datasets
from .evaluation import newey_west_t, overlap_lags
from .features import FEATURE_NAMES, ZSCORE_WINDOW, compute_features
from .model import ARCHITECTURES, LOSSES, build_network, fit_listnet

__all__ = ["CollapsedModelError", "MAX_TIED_SHARE", "tied_share", "check_not_collapsed", "TrainedModel", "train", "train_timeline", "refit_cutoffs", "sample_metrics", "SIZES",
           "SEEDS", "walk_forward_cutoffs", "train_walk_forward"]

Refit = Literal["monthly", "quarterly", "annual"]

# Training presets (the notebook's ``size``): "tiny" halves the samples (stride 10) and keeps 3 years of bars,
# for demos and tests; "small" is the default; "source" is the source's 120k-weight network.
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"arch": "small", "stride": 10, "train_days": 756},
    "small": {"arch": "small", "stride": STRIDE, "train_days": TRAIN_DAYS},
    "source": {"arch": "source", "stride": STRIDE, "train_days": TRAIN_DAYS},
}


SEEDS = 5  # members of the default ensemble


@dataclass
class TrainedModel:
    """A fitted seed ensemble (one or more networks) plus what the model store's manifest records about it."""

    networks: tuple[Any, ...]
    cutoff: date
    feature_names: tuple[str, ...]
    hyperparameters: dict[str, Any]
    train_window: tuple[date, date]
    validation_window: tuple[date, date] | None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def lookback(self) -> int:
        return int(self.hyperparameters.get("lookback", LOOKBACK))

    def member_predictions(self, X: np.ndarray) -> np.ndarray:
        """Each member's scores for windows ``X`` (n, lookback, features): shape (members, n)."""
        X = np.asarray(X, dtype=np.float32)
        if len(X) == 0:
            return np.empty((len(self.networks), 0))
        return np.stack([np.asarray(net(X, training=False)).reshape(-1).astype(float) for net in self.networks])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The ensemble's score for windows ``X``: the mean of the members' predicted 21-day return sums."""
        return self.member_predictions(X).mean(axis=0)

    def member(self, k: int) -> TrainedModel:
        """Member ``k`` alone, as a one-network model (same cutoff and windows), to measure each seed."""
        return TrainedModel((self.networks[k],), self.cutoff, self.feature_names,
                            {**self.hyperparameters, "seeds": 1, "seed": self.member_seeds[k],
                             "member_seeds": [self.member_seeds[k]]},
                            self.train_window, self.validation_window, {})

    @property
    def member_seeds(self) -> list[int]:
        first = int(self.hyperparameters.get("seed", 0))
        return [int(v) for v in self.hyperparameters.get("member_seeds", range(first, first + len(self.networks)))]


MAX_TIED_SHARE = 0.05  # of a window's scores that may tie another score of the same date


class CollapsedModelError(RuntimeError):
    """A trained network that gives many names of one date the same score: it ranks nothing."""


def tied_share(pred: np.ndarray, dates: np.ndarray) -> float:
    """Share of scores equal (to 1e-9 relative) to another score of the same date: 0 for a ranker, 1 for a
    network whose output went dead (a constant)."""
    pred = np.asarray(pred, dtype=float)
    if len(pred) == 0:
        return 0.0
    scale = max(float(np.abs(pred).max()), 1e-12)
    frame = pd.DataFrame({"date": np.asarray(dates), "score": np.round(pred / scale, 9)})
    return float(frame.duplicated(["date", "score"], keep=False).mean())


def check_not_collapsed(pred: np.ndarray, data: SequenceSet, *, cutoff: date, seed: int, window: str,
                        limit: float = MAX_TIED_SHARE) -> float:
    """The tied share of ``pred`` on ``data``; raises :class:`CollapsedModelError` above ``limit``."""
    share = tied_share(pred, data.end_dates)
    if share > limit:
        raise CollapsedModelError(
            f"the model with cutoff {cutoff} (seed {seed}) collapsed: {share:.0%} of its {window} scores tie "
            f"another name's score on the same date (limit {limit:.0%}), so it ranks nothing. Retrain with "
            f"another seed, or use arch='small' (leaky activations), or check the features for constant columns")
    return share


def _finite_or_none(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ra, rb = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def sample_metrics(pred: np.ndarray, data: SequenceSet, prefix: str, *, hac_lags: int = 0
                   ) -> dict[str, float | int | None]:
    """MSE, pooled Spearman IC, mean cross-sectional IC per end date and its Newey-West t (``hac_lags``: how many
    later end dates a label window overlaps), and sign hit rate of ``pred``."""
    if len(data) == 0:
        return {f"{prefix}_n": 0, f"{prefix}_mse": None, f"{prefix}_ic": None, f"{prefix}_ic_by_date": None,
                f"{prefix}_ic_t_hac": None, f"{prefix}_hit_rate": None}
    y = data.y.astype(float)
    by_date = [
        _spearman(pred[idx], y[idx])
        for idx in pd.Series(np.arange(len(y))).groupby(data.end_dates).indices.values() if len(idx) >= 3]
    finite = [v for v in by_date if np.isfinite(v)]
    pooled = _spearman(pred, y)
    return {f"{prefix}_n": int(len(y)), f"{prefix}_mse": float(np.mean((pred - y) ** 2)),
            f"{prefix}_ic": pooled if np.isfinite(pooled) else None,
            f"{prefix}_ic_by_date": float(np.mean(finite)) if finite else None,
            f"{prefix}_ic_t_hac": _finite_or_none(newey_west_t(pd.Series(finite), hac_lags)),
            f"{prefix}_hit_rate": float(np.mean(np.sign(pred) == np.sign(y)))}


def _copy_network(net: Any, lookback: int, n_features: int, learning_rate: float) -> Any:
    import keras

    shape = tuple(net.input_shape[1:])
    if shape != (lookback, n_features):
        raise ValueError(f"warm_start network takes input {shape}, but this training uses "
                         f"({lookback}, {n_features}); train from scratch (warm_start=None)")
    clone = keras.models.clone_model(net)
    clone.set_weights(net.get_weights())
    clone.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return clone


def _demeaned(y: np.ndarray, groups: pd.DatetimeIndex) -> np.ndarray:
    """``y`` minus the mean of the samples sharing its end date."""
    return (y - pd.Series(y).groupby(np.asarray(groups)).transform("mean").to_numpy()).astype(np.float32)


def train(histories: Mapping[str, pd.DataFrame], cutoff: date | datetime | str, *, epochs: int = 8,
          warm_start: TrainedModel | None = None, arch: str = "small", loss: str = "mse", seeds: int = SEEDS,
          lookback: int = LOOKBACK, horizon: int = HORIZON, stride: int = STRIDE,
          train_days: int | None = TRAIN_DAYS, validation_days: int = 63, batch_size: int = 32,
          learning_rate: float = 1e-3, seed: int = 0, features: Mapping[str, pd.DataFrame] | None = None,
          pool: Mapping[str, pd.DataFrame] | None = None, pool_stride: int = 21,
          pool_features: Mapping[str, pd.DataFrame] | None = None, verbose: int = 0) -> TrainedModel:
    """Fit a ``seeds``-member ensemble on every ticker's samples before ``cutoff``; validate on the bars after it.

    ``histories`` maps tickers to daily OHLC DataFrames (see :mod:`.features`); bars on or after ``cutoff``
    are used only for validation metrics. ``features`` may pass precomputed z-scored features (same bars).
    ``pool`` (``{ticker: OHLC}``, e.g. the liquid universe) adds those tickers' training samples, every
    ``pool_stride`` bars, to the fit only; metrics and the collapse check stay on ``histories``.
    ``warm_start`` continues each member from a copy of the same member of an earlier model.
    Raises ``ValueError`` when no training sample exists before the cutoff, and :class:`CollapsedModelError`
    when the ensemble's scores tie.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    for name, value in (("epochs", epochs), ("seeds", seeds)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if warm_start is not None and len(warm_start.networks) != seeds:
        raise ValueError(f"warm_start has {len(warm_start.networks)} members but seeds={seeds}; train from "
                         f"scratch (warm_start=None) or keep the number of seeds")
    import keras

    cut = as_timestamp(cutoff, "cutoff")
    train_set, val_set = build_datasets(histories, cut, lookback=lookback, horizon=horizon, stride=stride,
                                        train_days=train_days, validation_days=validation_days,
                                        features=features)
    fit_set = train_set
    extra = {t: h for t, h in (pool or {}).items() if t not in histories}
    if extra:
        pooled, _ = build_datasets(extra, cut, lookback=lookback, horizon=horizon, stride=pool_stride,
                                   train_days=train_days, features=pool_features)
        fit_set = SequenceSet.concat([train_set, pooled], lookback)
    if len(fit_set) == 0:
        firsts = {t: str(h.index.min().date()) for t, h in {**histories, **extra}.items() if len(h)}
        raise ValueError(
            f"no training sample before cutoff {cut.date()}: each ticker needs about "
            f"{ZSCORE_WINDOW + lookback + horizon + 20} bars before it (histories start {firsts})")
    n_features = train_set.X.shape[2]
    member_seeds = list(range(seed, seed + seeds))
    networks, losses = [], []
    started = time.perf_counter()
    for k, member_seed in enumerate(member_seeds):
        keras.utils.set_random_seed(member_seed)
        if warm_start is None:
            net = build_network(arch, lookback=lookback, n_features=n_features, learning_rate=learning_rate)
        else:
            net = _copy_network(warm_start.networks[k], lookback, n_features, learning_rate)
        if loss == "listnet":
            history = fit_listnet(net, fit_set.X, fit_set.y.astype(float), fit_set.end_dates.asi8, epochs=epochs,
                                  batch_size=batch_size, learning_rate=learning_rate, verbose=verbose)
        else:
            y = fit_set.y if loss == "mse" else _demeaned(fit_set.y, fit_set.end_dates)
            history = net.fit(fit_set.X, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
        networks.append(net)
        losses.append(float(history.history["loss"][-1]))
    seconds = time.perf_counter() - started
    trained = TrainedModel(
        networks=tuple(networks), cutoff=cut.date(), feature_names=tuple(FEATURE_NAMES),
        hyperparameters={
            "arch": arch, "loss": loss, "seeds": seeds, "member_seeds": member_seeds, "lookback": lookback,
            "horizon": horizon, "stride": stride, "train_days": train_days, "validation_days": validation_days,
            "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed,
            "zscore_window": ZSCORE_WINDOW, "pool_names": len(extra), "pool_stride": pool_stride if extra else None,
            "warm_start_from": None if warm_start is None else str(warm_start.cutoff),
            "parameters": int(networks[0].count_params())},
        train_window=fit_set.window() or (cut.date(), cut.date()),
        validation_window=val_set.label_window())
    metrics: dict[str, Any] = {"fit_seconds": round(seconds, 3), "final_loss": float(np.mean(losses)),
                               "fit_n": int(len(fit_set))}
    train_members, val_members = trained.member_predictions(train_set.X), trained.member_predictions(val_set.X)
    train_pred, val_pred = train_members.mean(axis=0), val_members.mean(axis=0)
    lags = overlap_lags(horizon, stride)
    metrics.update(sample_metrics(train_pred, train_set, "train", hac_lags=lags))
    metrics.update(sample_metrics(val_pred, val_set, "validation", hac_lags=lags))
    metrics["member_validation_ic_by_date"] = [
        sample_metrics(p, val_set, "v")["v_ic_by_date"] for p in val_members] if len(val_set) else None
    # judged on the validation window when there is one (the training window otherwise): never pass on a model
    # that gives the names of one date the same score
    checked, members, window = ((val_pred, val_members, val_set) if len(val_set)
                                else (train_pred, train_members, train_set))
    metrics["member_tied_share"] = [tied_share(p, window.end_dates) for p in members]
    metrics["tied_share"] = check_not_collapsed(checked, window, cutoff=cut.date(), seed=seed,
                                                window="validation" if len(val_set) else "training")
    trained.metrics = metrics
    return trained


def refit_cutoffs(cutoffs: Sequence[date | datetime | str], refit: Refit | None) -> list[date]:
    """Sorted unique ``cutoffs``, thinned to the first one of each month or quarter (``None`` keeps all).

    A cutoff belongs to the period of the day after it, the first day it can serve: the first-of-month cutoffs
    of ``models.walkforward.cutoff_schedule`` and the day-before-rebalance cutoffs of
    :func:`~.schedule.rebalance_cutoffs` are both thinned to the quarter they open.
    """
    stamps = sorted({as_timestamp(c, "cutoff") for c in cutoffs})
    if refit is None:
        return [s.date() for s in stamps]
    if refit not in ("monthly", "quarterly", "annual"):
        raise ValueError(f"refit must be 'monthly', 'quarterly', 'annual' or None, got {refit!r}")
    freq = {"monthly": "M", "quarterly": "Q", "annual": "Y"}[refit]
    seen: set[pd.Period] = set()
    kept = []
    for stamp in stamps:
        period = (stamp + pd.Timedelta(days=1)).to_period(freq)
        if period not in seen:
            seen.add(period)
            kept.append(stamp.date())
    return kept


def train_timeline(histories: Mapping[str, pd.DataFrame], cutoffs: Sequence[date | datetime | str],
                   refit: Refit | None = "monthly", *, warm_start: bool = True, first_epochs: int | None = None,
                   log: Callable[[str], None] | None = print, **train_kwargs: Any) -> list[TrainedModel]:
    """One :func:`train` per refit cutoff, oldest first; each warm-starts from the previous when asked.

    ``cutoffs`` are candidate dates (e.g. ``models.walkforward.cutoff_schedule(start, end, "monthly")``);
    ``refit`` keeps the first of each month or quarter. ``first_epochs`` overrides ``epochs`` for the first
    (cold) fit. Features are computed once per ticker; they are causal, so each refit still sees only its past.
    """
    schedule = refit_cutoffs(cutoffs, refit)
    if not schedule:
        raise ValueError("train_timeline: no cutoffs given")
    features = {t: compute_features(h) for t, h in histories.items()}
    if train_kwargs.get("pool") and "pool_features" not in train_kwargs:
        train_kwargs["pool_features"] = {t: compute_features(h) for t, h in train_kwargs["pool"].items()
                                         if t not in histories}
    models: list[TrainedModel] = []
    started = time.perf_counter()
    for k, cutoff in enumerate(schedule, 1):
        kwargs = dict(train_kwargs)
        if k == 1 and first_epochs is not None:
            kwargs["epochs"] = first_epochs
        previous = models[-1] if (warm_start and models) else None
        model = train(histories, cutoff, warm_start=previous, features=features, **kwargs)
        models.append(model)
        if log is not None:
            m = model.metrics
            val_ic = m.get("validation_ic_by_date")
            log(f"[{k}/{len(schedule)}] cutoff {cutoff}: {m['train_n']} train / {m['validation_n']} validation "
                f"samples, train IC {m['train_ic_by_date'] or float('nan'):+.3f}, validation IC "
                f"{float('nan') if val_ic is None else val_ic:+.3f}, fit {m['fit_seconds']:.1f}s, "
                f"elapsed {time.perf_counter() - started:.0f}s")
    return models


def walk_forward_cutoffs(calendar: pd.DatetimeIndex, start: date | datetime | str, end: date | datetime | str,
                         refit: Refit = "quarterly", *, train_end: date | datetime | str | None = None,
                         warmup_start: date | datetime | str | None = None) -> list[date]:
    """Cutoffs of a timeline serving the month-start rebalances in ``[start, end]``.

    One cutoff the day before each month's (or quarter's) first trading day, from ``warmup_start`` (default
    ``start``; earlier refits only warm the network up) to ``end``. The first rebalance on or after ``start`` always
    gets one, so every rebalance has a model. With ``train_end``, refits stop at the last rebalance whose
    training bars all lie on or before ``train_end``; later rebalances use that model (a frozen model).
    """
    from .rules import month_starts

    days = pd.DatetimeIndex(calendar).sort_values().unique()
    first = month_starts(days, start, end)
    if len(first) == 0:
        raise ValueError(f"no month-start trading day between {start} and {end} in the calendar "
                         f"({days[0].date()} .. {days[-1].date()})")
    rebalances = month_starts(days, warmup_start if warmup_start is not None else start, end)
    if refit == "quarterly":
        rebalances = rebalances[((rebalances.month - 1) % 3 == 0) | (rebalances == first[0])]
    elif refit == "annual":
        rebalances = rebalances[(rebalances.month == 1) | (rebalances == first[0])]
    elif refit != "monthly":
        raise ValueError(f"refit must be 'monthly', 'quarterly' or 'annual', got {refit!r}")
    if train_end is not None:
        limit = as_timestamp(train_end, "train_end")
        previous = days[np.maximum(days.searchsorted(rebalances) - 1, 0)]
        rebalances = rebalances[(previous <= limit) | (rebalances <= first[0])]
    return sorted({(d - pd.Timedelta(days=1)).date() for d in rebalances})


def train_walk_forward(histories: Mapping[str, pd.DataFrame], start: date | datetime | str,
                       end: date | datetime | str, refit: Refit = "quarterly", *, size: str = "small",
                       epochs: int = 8, first_epochs: int | None = None,
                       train_end: date | datetime | str | None = None,
                       warmup_start: date | datetime | str | None = None, seed: int = 0, seeds: int = SEEDS,
                       loss: str = "mse", pool: Mapping[str, pd.DataFrame] | None = None,
                       validation_days: int = 63, log: Callable[[str], None] | None = print) -> list[TrainedModel]:
    """The research entry point: the warm-started timeline for backtesting ``[start, end]`` (see
    :func:`walk_forward_cutoffs`), with the ``size`` preset of :data:`SIZES`, a ``seeds``-member ensemble per
    cutoff, the ``loss`` and the optional ``pool`` of :func:`train`. Callable without a notebook."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    calendar = pd.DatetimeIndex(sorted(set().union(*(h.index for h in histories.values()))))
    cutoffs = walk_forward_cutoffs(calendar, start, end, refit, train_end=train_end, warmup_start=warmup_start)
    if log is not None:
        log(f"mag7_lstm: {len(cutoffs)} {refit} refits, cutoffs {cutoffs[0]} .. {cutoffs[-1]}, size {size} "
            f"({SIZES[size]}), {epochs} epochs ({first_epochs or epochs} for the first), seeds {seed}.."
            f"{seed + seeds - 1}, loss {loss}, pool {len(pool or {})} names")
    return train_timeline(histories, cutoffs, None, first_epochs=first_epochs, epochs=epochs, seed=seed,
                          seeds=seeds, loss=loss, pool=pool, validation_days=validation_days, log=log,
                          **SIZES[size])
