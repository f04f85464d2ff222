"""Walk-forward training of the TQQQ leverage model: :func:`train` for one cutoff, :func:`train_timeline`.

Samples: the sample at as-of session t holds the feature window of rows t-9..t and the label of session t+1
(``r_QQQ``, ``r_TQQQ`` and the baseline drag from IRX at t). A model with cutoff ``C`` learns only from labels
strictly before ``C`` (the model store hands it to dates after ``C``). Those samples are split in time: the
last ``validation_fraction`` (12%, as in the source) validate, the rest train; the label of the last training
sample is purged before the first validation window and a further :data:`WINDOW` sessions are embargoed so no
validation window contains a training label (``models.walkforward.purged_split``). The scaler (:class:`~.features.RangeScaler`)
is fitted on the feature rows the training windows read, and never sees validation or later rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import keras
import numpy as np
import pandas as pd

from ..parallel import parallel_map
from ..walkforward import purged_split
from .dataset import (
    DEFAULT_BASELINE,
    PERIODS_PER_YEAR,
    BaselineParams,
    InputError,
    baseline_drag,
    check_inputs,
    daily_returns,
)
from .features import (
    COMPACT_FEATURES,
    FEATURE_NAMES,
    WARMUP_SESSIONS,
    WINDOW,
    RangeScaler,
    build_features,
    check_feature_names,
    complete_rows,
    feature_windows,
    scale_floors,
)
from .model import CLIP, TrainedModel, run_network, train_command_for
from .networks import TQQQFocusedLoss, TrackingLoss, average_members, build_compact, build_reference

__all__ = ["Variant", "TrainingConfig", "REFERENCE_TRAINING", "COMPACT_TRAINING", "TrainedModel", "Samples",
           "make_samples", "train", "train_timeline", "tracking_metrics", "train_command_for"]

Variant = Literal["compact", "reference", "baseline"]
VARIANTS: tuple[str, ...] = ("compact", "reference", "baseline")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimiser, schedule and early-stopping settings. Learning rate: linear warm-up from ``lr / 10`` over
    ``warmup_epochs``, then ``ReduceLROnPlateau`` on the validation loss. ``members`` networks are trained
    with seeds ``seed, seed + 1, ...`` and averaged into one model (:func:`~.model.average_members`)."""

    batch_size: int
    epochs: int
    warmup_epochs: int
    learning_rate: float
    loss: Literal["tracking", "focused"]
    early_stopping_patience: int
    reduce_lr_patience: int
    beta_1: float = 0.91
    beta_2: float = 0.9995
    epsilon: float = 1e-8
    clipnorm: float = 1.0
    validation_fraction: float = 0.12
    early_stopping_min_delta: float = 1e-6
    reduce_lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    members: int = 1
    seed: int = 0
    verbose: int = 0

    def __post_init__(self) -> None:
        positive_ints = ("batch_size", "epochs", "early_stopping_patience", "reduce_lr_patience", "members")
        for name in positive_ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainingConfig.{name} must be an integer >= 1, got {value!r}")
        if not isinstance(self.warmup_epochs, int) or self.warmup_epochs < 0:
            raise ValueError(f"TrainingConfig.warmup_epochs must be an integer >= 0, got {self.warmup_epochs!r}")
        if not self.learning_rate > 0 or not self.min_learning_rate > 0:
            raise ValueError("TrainingConfig: learning rates must be > 0")
        if not 0 <= self.validation_fraction < 0.5:
            raise ValueError(f"TrainingConfig.validation_fraction must be in [0, 0.5), got {self.validation_fraction}")
        if self.loss not in ("tracking", "focused"):
            raise ValueError(f"TrainingConfig.loss must be 'tracking' or 'focused', got {self.loss!r}")


# The source's settings: batch 20, 200 epochs (10 warm-up), Adam(0.91, 0.9995, 1e-8), lr 8e-5, clipnorm 1,
# validation 12%, EarlyStopping(50, 1e-6, restore best), ReduceLROnPlateau(25, 0.5, min 1e-5), its loss.
REFERENCE_TRAINING = TrainingConfig(batch_size=20, epochs=200, warmup_epochs=10, learning_rate=8e-5,
                                    loss="focused", early_stopping_patience=50, reduce_lr_patience=25)
# The compact model: same optimiser family; larger batches and learning rate suit its ~1.5k parameters, the
# plain tracking loss is the quantity we evaluate (tracking error), and an average of 5 seeds halves the
# seed-to-seed spread of the predicted drag level (terminal wealth moves by +-3% between single seeds).
COMPACT_TRAINING = TrainingConfig(batch_size=64, epochs=150, warmup_epochs=5, learning_rate=2e-3,
                                  loss="tracking", early_stopping_patience=20, reduce_lr_patience=8, members=5)


@dataclass(frozen=True)
class Samples:
    """All usable samples of an input table, in time order."""

    features: pd.DataFrame          # every session's features (NaN in warm-up)
    positions: np.ndarray           # row position of each sample's as-of session (window end)
    as_of: pd.DatetimeIndex         # the as-of session of each sample
    target_date: pd.DatetimeIndex   # the labelled session (next row)
    labels: np.ndarray              # (n, 2): r_QQQ, r_TQQQ - baseline drag of the labelled session


def make_samples(inputs: pd.DataFrame, baseline: BaselineParams = DEFAULT_BASELINE,
                 feature_names: Sequence[str] = FEATURE_NAMES, window: int = WINDOW) -> Samples:
    """Every as-of session whose window of ``feature_names`` is complete and whose next session has a label."""
    check_inputs(inputs)
    features = build_features(inputs, list(feature_names))
    returns = daily_returns(inputs)
    base = baseline_drag(inputs["irx"].shift(1), baseline)
    complete = complete_rows(features).to_numpy()
    full_window = pd.Series(complete.astype(int)).rolling(window, min_periods=window).sum().to_numpy() == window
    label_x = returns["r_qqq"].to_numpy()
    label_y = (returns["r_tqqq"] - base).to_numpy()
    labelled = np.isfinite(label_x) & np.isfinite(label_y)
    positions = np.flatnonzero(full_window[:-1] & labelled[1:])
    index = pd.DatetimeIndex(inputs.index)
    labels = np.column_stack([label_x[positions + 1], label_y[positions + 1]]).astype(np.float32)
    return Samples(features, positions, index[positions], index[positions + 1], labels)


def tracking_metrics(r_qqq: np.ndarray, r_tqqq: np.ndarray, leverage: np.ndarray, drag: np.ndarray,
                     prefix: str = "") -> dict[str, float]:
    """Annualised tracking error, mean tracking difference, terminal-wealth error and mean leverage."""
    r_pred = leverage * r_qqq + drag
    error = r_tqqq - r_pred
    wealth_actual = float(np.prod(1.0 + r_tqqq))
    wealth_pred = float(np.prod(1.0 + r_pred))
    return {
        f"{prefix}tracking_error": float(np.std(error, ddof=1) * np.sqrt(PERIODS_PER_YEAR)) if len(error) > 1
        else float("nan"),
        f"{prefix}tracking_difference": float(np.mean(r_pred - r_tqqq) * PERIODS_PER_YEAR),
        f"{prefix}terminal_wealth_error": wealth_pred / wealth_actual - 1.0,
        f"{prefix}mean_leverage": float(np.mean(leverage)),
        f"{prefix}sessions": float(len(error)),
    }


class LinearWarmup(keras.callbacks.Callback):
    """Raise the learning rate linearly from ``target / 10`` to ``target`` over the first ``epochs`` epochs."""

    def __init__(self, epochs: int, target: float):
        super().__init__()
        self.epochs, self.target = epochs, target

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch <= self.epochs and self.epochs > 0:
            fraction = min(1.0, (epoch + 1) / self.epochs)
            self.model.optimizer.learning_rate.assign(self.target * (0.1 + 0.9 * fraction))


def _resolve(variant: str, config: TrainingConfig | None) -> TrainingConfig:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
    if config is not None:
        return config
    return REFERENCE_TRAINING if variant == "reference" else COMPACT_TRAINING


def _predict_network(network: keras.Model, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = run_network(network, windows)
    drag = out[:, 1] if out.shape[1] == 2 else np.zeros(len(out))
    return out[:, 0], drag


def _fit(network: keras.Model, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
         config: TrainingConfig) -> dict[str, list[float]]:
    network.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                                        epsilon=config.epsilon, clipnorm=config.clipnorm),
        loss=TQQQFocusedLoss() if config.loss == "focused" else TrackingLoss())
    monitor = "val_loss" if len(x_val) else "loss"
    callbacks = [
        LinearWarmup(config.warmup_epochs, config.learning_rate),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=config.early_stopping_patience,
                                      min_delta=config.early_stopping_min_delta, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, patience=config.reduce_lr_patience,
                                          factor=config.reduce_lr_factor, min_lr=config.min_learning_rate),
    ]
    fit = network.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
                      validation_data=(x_val, y_val) if len(x_val) else None, callbacks=callbacks, shuffle=True,
                      verbose=config.verbose)
    return {key: [float(v) for v in values] for key, values in fit.history.items()}


def train(inputs: pd.DataFrame, cutoff: date | str | pd.Timestamp, *, variant: Variant = "compact",
          size: Literal["full", "small", "tiny"] | float = "full", config: TrainingConfig | None = None,
          baseline: BaselineParams = DEFAULT_BASELINE, features: Sequence[str] | None = None,
          start: date | str | pd.Timestamp | None = None, min_train_samples: int = 200,
          log: Callable[[str], None] | None = None) -> TrainedModel:
    """Train one model on labels strictly before ``cutoff``; validate on the last part of them (purged).

    ``inputs`` is the table from :func:`~models.tqqq_leverage.dataset.align_inputs`. ``variant``: ``compact``
    (default), ``reference`` (the source's network; ``size`` scales it: ``full``, ``small`` = 1/8 widths,
    ``tiny`` = 1/32, or a float) or ``baseline`` (analytic, nothing to fit). ``config`` defaults to
    :data:`COMPACT_TRAINING` or :data:`REFERENCE_TRAINING`. ``features`` selects the network's inputs (default:
    :data:`~models.tqqq_leverage.features.COMPACT_FEATURES` for ``compact``, all :data:`FEATURE_NAMES` for
    ``reference``). ``start`` drops earlier samples.
    Metrics (on validation): ``tracking_error``, ``tracking_difference``, ``terminal_wealth_error``,
    ``mean_leverage`` and the same with prefix ``baseline_``.
    """
    config = _resolve(variant, config)
    size_name = size if isinstance(size, str) else f"{float(size):g}"
    stamp = pd.Timestamp(cutoff).normalize()
    if features is None:
        features = COMPACT_FEATURES if variant == "compact" else FEATURE_NAMES
    names = check_feature_names(list(features))
    samples = make_samples(inputs, baseline, names)
    keep = samples.target_date < stamp
    if start is not None:
        keep &= samples.as_of >= pd.Timestamp(start)
    chosen = np.flatnonzero(keep)
    if len(chosen) < min_train_samples:
        raise InputError(
            f"train(cutoff={stamp.date()}): only {len(chosen)} usable samples before the cutoff (need "
            f"{min_train_samples}); features need {WINDOW} complete rows after a warm-up of {WARMUP_SESSIONS} sessions "
            "and TQQQ history of 64 sessions; load more history or choose a later cutoff")
    as_of = samples.as_of[chosen]
    n_val = int(round(len(chosen) * config.validation_fraction))
    if n_val > 0:
        split = purged_split(as_of, as_of[len(chosen) - n_val], horizon=1, embargo=WINDOW)
        train_idx, val_idx = chosen[split.train_index], chosen[split.validation_index]
    else:
        train_idx, val_idx = chosen, chosen[:0]
    if len(train_idx) < min_train_samples // 2:
        raise InputError(f"train: only {len(train_idx)} training samples after the validation split")

    start_time = time.perf_counter()
    network: keras.Model | None = None
    scaler: RangeScaler | None = None
    history: dict[str, list[float]] = {}
    if variant != "baseline":
        values = samples.features.to_numpy(dtype=float)
        first_row = samples.positions[train_idx[0]] - WINDOW + 1
        last_row = samples.positions[train_idx[-1]]
        scaler = RangeScaler(scale_floors(names)).fit(values[first_row:last_row + 1])
        scaled = np.clip(scaler.transform(values), -CLIP, CLIP)
        x_train = feature_windows(scaled, samples.positions[train_idx])
        x_val = feature_windows(scaled, samples.positions[val_idx])
        builder = build_reference if variant == "reference" else build_compact
        members = []
        for member in range(config.members):
            seed = config.seed + member
            keras.utils.set_random_seed(seed)
            net = builder(len(names), WINDOW, size, seed=seed, name=f"{variant}_member_{member}")
            fitted = _fit(net, x_train, samples.labels[train_idx], x_val, samples.labels[val_idx], config)
            members.append(net)
            for key, values_ in fitted.items():
                history[key if config.members == 1 else f"member_{member}_{key}"] = values_
        network = average_members(members, name=f"tqqq_{variant}_{size_name}")
    seconds = time.perf_counter() - start_time

    metrics: dict[str, float] = {}
    if len(val_idx):
        labels = samples.labels[val_idx].astype(float)
        r_qqq = labels[:, 0]
        base = baseline_drag(inputs["irx"].to_numpy()[samples.positions[val_idx]], baseline)
        r_tqqq = labels[:, 1] + base
        if network is not None:
            x_val_windows = feature_windows(scaled, samples.positions[val_idx])
            leverage, extra = _predict_network(network, x_val_windows)
        else:
            leverage, extra = np.full(len(val_idx), baseline.leverage), np.zeros(len(val_idx))
        metrics.update(tracking_metrics(r_qqq, r_tqqq, leverage, base + extra))
        metrics.update(tracking_metrics(r_qqq, r_tqqq, np.full(len(val_idx), baseline.leverage), base,
                                        prefix="baseline_"))
    if history:
        losses = [v for k, v in history.items() if k.endswith("loss") and not k.endswith("val_loss")]
        metrics["epochs_run"] = float(np.mean([len(v) for v in losses]))
        val_losses = [np.min(v) for k, v in history.items() if k.endswith("val_loss")]
        if val_losses:
            metrics["best_val_loss"] = float(np.mean(val_losses))

    def window_of(idx: np.ndarray) -> tuple[date, date] | None:
        if len(idx) == 0:
            return None
        return samples.as_of[idx[0]].date(), samples.target_date[idx[-1]].date()

    train_window = window_of(train_idx)
    assert train_window is not None
    hyperparameters: dict[str, Any] = {"variant": variant, "size": size_name, "window": WINDOW,
                                       "baseline": baseline.to_dict(), "training": asdict(config)}
    if network is not None:
        hyperparameters["parameters"] = int(network.count_params())
    trained = TrainedModel(variant=variant, size=size_name, cutoff=stamp.date(), network=network, scaler=scaler,
                           feature_names=names, window=WINDOW, baseline=baseline,
                           train_window=train_window, validation_window=window_of(val_idx),
                           hyperparameters=hyperparameters, metrics=metrics, history=history,
                           train_seconds=seconds)
    if log is not None:
        shown = {k: round(v, 5) for k, v in metrics.items()}
        log(f"tqqq_leverage: trained {variant}/{size_name} cutoff {stamp.date()} on {len(train_idx)} samples "
            f"({train_window[0]}..{train_window[1]}) in {seconds:.1f}s; validation {shown}")
    return trained


def train_timeline(inputs: pd.DataFrame, cutoffs: Iterable[date | str | pd.Timestamp], *, n_jobs: int | None = 1,
                   backend: str | None = None, address: str | None = None, **kwargs: Any) -> list[TrainedModel]:
    """:func:`train` once per cutoff, in date order; ``kwargs`` go to every call.

    The cutoffs are independent, so ``n_jobs`` workers may train them at once (``backend`` "joblib" or "ray",
    ``address`` of a Ray cluster: :func:`models.parallel.parallel_map`). Each fit is seeded, so the models are
    the same as with ``n_jobs=1`` given the same TensorFlow thread settings; ``log`` must then be picklable
    (``print`` is).
    """
    stamps = sorted({pd.Timestamp(c).normalize() for c in cutoffs})
    if not stamps:
        raise ValueError("train_timeline: no cutoffs")
    jobs = [(inputs, stamp, kwargs) for stamp in stamps]
    return parallel_map(_train_job, jobs, n_jobs=n_jobs, backend=backend, address=address,
                        desc=f"tqqq_leverage {kwargs.get('variant', 'compact')} cutoffs")


def _train_job(job: tuple[pd.DataFrame, pd.Timestamp, dict[str, Any]]) -> TrainedModel:
    inputs, stamp, kwargs = job
    return train(inputs, stamp, **kwargs)


