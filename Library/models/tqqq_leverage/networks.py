"""The Keras networks and losses (training and research; an algorithm predicts through the numpy forward pass of
:mod:`models.inference` and never imports this module).

Conventions shared by every network here:

- Input: a window of :data:`~models.tqqq_leverage.features.WINDOW` standardised feature rows, shape
  ``(batch, window, n_features)``; the last row is the previous close.
- Output: ``(batch, 1)`` = predicted leverage ``L`` (the reference network), or ``(batch, 2)`` = ``[L, d]`` with
  ``d`` the drag *beyond the analytic baseline* per session (the compact network).
- Target ``y_true``: ``(batch, 2)`` = ``[r_QQQ,t, r_TQQQ,t - baseline_drag_t]``: the day's QQQ return and the
  TQQQ return net of the analytic baseline's drag (which is known at the previous close). The model's return
  is ``r_hat = L * r_QQQ + d`` (``d = 0`` without a drag head), so ``r_hat + baseline_drag`` predicts TQQQ.

All custom layers and losses are registered with ``keras.saving.register_keras_serializable`` (package
``tqqq_leverage``) so ``.keras`` files reload with ``keras.models.load_model`` once this module is imported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import keras
from keras import layers, ops

__all__ = ["RETURN_UNIT", "OutputScaling", "LeverageDragHead", "LastStep", "TrackingLoss", "TQQQFocusedLoss",
           "LossWeights", "tqqq_focused_loss", "build_compact", "build_reference", "average_members",
           "reference_dims", "compact_dims", "CUSTOM_OBJECTS"]


RETURN_UNIT = 1e-3  # losses measure return errors in units of 10 basis points so their terms are O(1)
_PACKAGE = "tqqq_leverage"
Size = Literal["full", "small", "tiny"] | float


# ----------------------------------------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package=_PACKAGE)
class OutputScaling(layers.Layer):
    """Map a sigmoid output in (0, 1) linearly onto ``[low, high]`` (the source's [2.990, 3.010])."""

    def __init__(self, low: float = 2.990, high: float = 3.010, **kwargs: Any):
        super().__init__(**kwargs)
        if not high > low:
            raise ValueError(f"OutputScaling: high ({high}) must exceed low ({low})")
        self.low, self.high = float(low), float(high)

    def call(self, inputs: Any) -> Any:
        return self.low + (self.high - self.low) * inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class LeverageDragHead(layers.Layer):
    """``[z0, z1] -> [low + (high - low) * sigmoid(z0), drag_scale * z1]``: bounded leverage, drag per session.

    With ``z = 0`` (a zero-initialised last layer) it outputs leverage ``(low + high) / 2`` and drag 0, i.e.
    exactly the analytic baseline when the band is centred on 3.
    """

    def __init__(self, low: float = 2.5, high: float = 3.5, drag_scale: float = RETURN_UNIT, **kwargs: Any):
        super().__init__(**kwargs)
        if not high > low or not drag_scale > 0:
            raise ValueError(f"LeverageDragHead: need high > low and drag_scale > 0, got {low}, {high}, {drag_scale}")
        self.low, self.high, self.drag_scale = float(low), float(high), float(drag_scale)

    def call(self, inputs: Any) -> Any:
        leverage = self.low + (self.high - self.low) * ops.sigmoid(inputs[:, 0:1])
        return ops.concatenate([leverage, self.drag_scale * inputs[:, 1:2]], axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high, "drag_scale": self.drag_scale}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class LastStep(layers.Layer):
    """The last time step of a sequence: ``(batch, time, features) -> (batch, features)``."""

    def call(self, inputs: Any) -> Any:
        return inputs[:, -1, :]


# ----------------------------------------------------------------------------------------------------- losses
def _split(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any, Any]:
    """``x = r_QQQ``, ``y`` = TQQQ return net of baseline drag, ``L`` and ``d`` (0 without a drag head)."""
    y_true = ops.cast(y_true, y_pred.dtype)
    x, y = y_true[:, 0], y_true[:, 1]
    leverage = y_pred[:, 0]
    drag = y_pred[:, 1] if y_pred.shape[-1] == 2 else ops.zeros_like(leverage)
    return x, y, leverage, drag


@keras.saving.register_keras_serializable(package=_PACKAGE)
class TrackingLoss(keras.losses.Loss):
    """Mean squared return error ``mean(((y - (L x + d)) / unit)^2)``; ``unit`` = 10 bp by default."""

    def __init__(self, unit: float = RETURN_UNIT, name: str = "tracking_loss", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.unit = float(unit)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        x, y, leverage, drag = _split(y_true, y_pred)
        return ops.square((y - leverage * x - drag) / self.unit)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit": self.unit}


@dataclass(frozen=True)
class LossWeights:
    """The source's weights of the five penalties of ``tqqq_focused_loss``."""

    leverage_range: float = 100.0
    return_tracking: float = 60.0
    volatility: float = 40.0
    correlation: float = 50.0
    direction: float = 30.0


@keras.saving.register_keras_serializable(package=_PACKAGE)
class TQQQFocusedLoss(keras.losses.Loss):
    """The source's ``tqqq_focused_loss``, each term defined precisely (per batch of size B).

    Notation: ``x = r_QQQ,t``; ``y`` = TQQQ return net of the baseline drag; ``L``, ``d`` predicted leverage and
    drag (``d = 0`` without a drag head); ``y_hat = L x + d``; ``u`` = ``unit`` (10 bp); ``e = (y - 3x) / u``
    and ``e_hat = (y_hat - 3x) / u``: actual and predicted return beyond nominal 3x, in units of ``u``.

    - leverage range (w=100): ``mean(relu(lo - L)^2 + relu(L - hi)^2)``, ``[lo, hi] = leverage_range``
      (default 3 +- 0.1). Zero inside the band; with the source's [2.99, 3.01] output scaling it never fires.
    - return tracking (w=60): ``mean(((y - y_hat) / u)^2)``.
    - volatility (w=40): ``((std(y_hat) - std(y)) / u)^2``, batch standard deviations.
    - correlation (w=50): ``1 - corr(e, e_hat)``, the batch Pearson correlation of actual and predicted
      return beyond 3x (``corr`` of raw returns is ~0.9997 for any L near 3 and carries no signal);
      ``corr = cov / sqrt(var_e var_e_hat + 1e-6)``.
    - direction (w=30): ``mean(relu(-e * e_hat))``: a hinge on getting the sign of the excess return wrong.

    Total: ``sum(w_i * term_i)``. The batch terms (volatility, correlation) make the value depend on the batch
    composition; Keras' sample weights are not supported.
    """

    def __init__(self, weights: dict[str, float] | None = None, leverage_range: tuple[float, float] = (2.9, 3.1),
                 nominal: float = 3.0, unit: float = RETURN_UNIT, name: str = "tqqq_focused_loss",
                 **kwargs: Any):
        kwargs.setdefault("reduction", "sum_over_batch_size")
        super().__init__(name=name, **kwargs)
        self.weights = asdict(LossWeights(**(weights or {})))
        low, high = (float(v) for v in leverage_range)
        if not high > low:
            raise ValueError(f"leverage_range must be (low, high) with high > low, got {leverage_range}")
        self.leverage_range = (low, high)
        self.nominal, self.unit = float(nominal), float(unit)

    def terms(self, y_true: Any, y_pred: Any) -> dict[str, Any]:
        """The five unweighted penalty terms (scalars)."""
        x, y, leverage, drag = _split(y_true, y_pred)
        y_hat = leverage * x + drag
        low, high = self.leverage_range
        e = (y - self.nominal * x) / self.unit
        e_hat = (y_hat - self.nominal * x) / self.unit
        e_c, e_hat_c = e - ops.mean(e), e_hat - ops.mean(e_hat)
        cov = ops.mean(e_c * e_hat_c)
        corr = cov / ops.sqrt(ops.mean(e_c ** 2) * ops.mean(e_hat_c ** 2) + 1e-6)
        return {
            "leverage_range": ops.mean(ops.relu(low - leverage) ** 2 + ops.relu(leverage - high) ** 2),
            "return_tracking": ops.mean(((y - y_hat) / self.unit) ** 2),
            "volatility": ((ops.std(y_hat) - ops.std(y)) / self.unit) ** 2,
            "correlation": 1.0 - corr,
            "direction": ops.mean(ops.relu(-e * e_hat)),
        }

    def call(self, y_true: Any, y_pred: Any) -> Any:
        terms = self.terms(y_true, y_pred)
        total = sum(self.weights[name] * value for name, value in terms.items())
        # Keras averages the returned per-sample values; the loss is a batch quantity, so broadcast it.
        return total * ops.ones_like(y_pred[:, 0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weights": dict(self.weights), "leverage_range": list(self.leverage_range),
                "nominal": self.nominal, "unit": self.unit}


def tqqq_focused_loss(y_true: Any, y_pred: Any) -> Any:
    """The source's loss with its default weights (a plain function; see :class:`TQQQFocusedLoss`)."""
    return ops.mean(TQQQFocusedLoss().call(y_true, y_pred))


# -------------------------------------------------------------------------------------------------- builders
def _scale(size: Size) -> float:
    named = {"full": 1.0, "small": 1 / 8, "tiny": 1 / 32}
    if isinstance(size, str):
        if size not in named:
            raise ValueError(f"size must be one of {sorted(named)} or a float in (0, 1], got {size!r}")
        return named[size]
    if isinstance(size, bool) or not isinstance(size, int | float) or not 0 < size <= 1:
        raise ValueError(f"size must be one of {sorted(named)} or a float in (0, 1], got {size!r}")
    return float(size)


def reference_dims(size: Size = "full") -> dict[str, int]:
    """Layer sizes of the reference network; ``full`` is the source's, others scale every width down."""
    full = {"dense_in": 384, "heads_1": 16, "key_dim_1": 64, "bilstm_1": 384, "heads_2": 12, "key_dim_2": 48,
            "bilstm_2": 256, "lstm_3": 192, "dense_1": 256, "dense_2": 128}
    scale = _scale(size)
    if scale == 1.0:
        return dict(full)
    return {name: max(1 if name.startswith("heads") else 2, round(value * scale)) for name, value in full.items()}


def build_reference(n_features: int, window: int = 10, size: Size = "full", *, attention_dropout: float = 0.1,
                    dense_dropout: float = 0.2, output_range: tuple[float, float] = (2.990, 3.010),
                    seed: int | None = None, name: str | None = None) -> keras.Model:
    """The source's network (output: leverage in ``output_range``), optionally scaled down by ``size``.

    Dense(384) -> LayerNorm; MHA(16 heads, key_dim 64) + residual, LayerNorm, Dropout; BiLSTM(384, sequences);
    MHA(12 heads, key_dim 48) + residual, LayerNorm; BiLSTM(256, sequences) -> LSTM(192); Dense(256, swish) ->
    BatchNorm -> Dropout; Dense(128, swish) -> BatchNorm; Dense(1, sigmoid) -> OutputScaling. The source does
    not give dropout rates or the attention wiring; the residual self-attention and the rates are our choice.
    """
    _check_shape(n_features, window)
    dims = reference_dims(size)
    inputs = keras.Input((window, n_features), name="features")
    h = layers.Dense(dims["dense_in"], name="dense_in")(inputs)
    h = layers.LayerNormalization(name="norm_in")(h)
    a = layers.MultiHeadAttention(dims["heads_1"], dims["key_dim_1"], dropout=attention_dropout, seed=seed,
                                  name="attention_1")(h, h)
    h = layers.LayerNormalization(name="norm_attention_1")(h + a)
    h = layers.Dropout(attention_dropout, seed=seed, name="dropout_attention_1")(h)
    h = layers.Bidirectional(layers.LSTM(dims["bilstm_1"], return_sequences=True), name="bilstm_1")(h)
    a = layers.MultiHeadAttention(dims["heads_2"], dims["key_dim_2"], seed=seed, name="attention_2")(h, h)
    h = layers.LayerNormalization(name="norm_attention_2")(h + a)
    h = layers.Bidirectional(layers.LSTM(dims["bilstm_2"], return_sequences=True), name="bilstm_2")(h)
    h = layers.LSTM(dims["lstm_3"], name="lstm_3")(h)
    h = layers.Dense(dims["dense_1"], activation="swish", name="dense_1")(h)
    h = layers.BatchNormalization(name="batchnorm_1")(h)
    h = layers.Dropout(dense_dropout, seed=seed, name="dropout_1")(h)
    h = layers.Dense(dims["dense_2"], activation="swish", name="dense_2")(h)
    h = layers.BatchNormalization(name="batchnorm_2")(h)
    h = layers.Dense(1, activation="sigmoid", name="leverage_sigmoid")(h)
    output = OutputScaling(*output_range, name="leverage")(h)
    return keras.Model(inputs, output, name=name or f"tqqq_reference_{_size_name(size)}")


def compact_dims(size: Size = "full") -> dict[str, int]:
    """Widths of the compact network: per-row projection and hidden layer."""
    return {"projection": 4, "hidden": 4} if _scale(size) < 1 / 8 else {"projection": 8, "hidden": 16}


def build_compact(n_features: int, window: int = 10, size: Size = "full", *, dropout: float = 0.1,
                  l2: float = 1e-3, leverage_range: tuple[float, float] = (2.5, 3.5),
                  drag_scale: float = RETURN_UNIT, window_path: bool = True, seed: int | None = None,
                  name: str | None = None) -> keras.Model:
    """The default model, sized to ~2,000 daily samples; outputs ``[leverage, drag beyond baseline]``.

    A linear path from the last row (the previous close) plus a small non-linear path over the whole window
    (per-row Dense projection -> Flatten -> Dense(swish) -> Dropout), summed by a zero-initialised Dense(2)
    into :class:`LeverageDragHead`. Untrained, it predicts leverage 3 and zero extra drag: the baseline.
    """
    _check_shape(n_features, window)
    dims = compact_dims(size)
    regulariser = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input((window, n_features), name="features")
    last = LastStep(name="last_row")(inputs)
    if window_path:
        h = layers.Dense(dims["projection"], kernel_regularizer=regulariser, name="projection")(inputs)
        h = layers.Flatten(name="flatten")(h)
    else:
        h = last
    h = layers.Dense(dims["hidden"], activation="swish", kernel_regularizer=regulariser, name="hidden")(h)
    h = layers.Dropout(dropout, seed=seed, name="dropout")(h)
    z = layers.Concatenate(name="linear_and_hidden")([last, h])
    z = layers.Dense(2, kernel_initializer="zeros", kernel_regularizer=regulariser, name="head_raw")(z)
    output = LeverageDragHead(*leverage_range, drag_scale=drag_scale, name="leverage_drag")(z)
    return keras.Model(inputs, output, name=name or f"tqqq_compact_{_size_name(size)}")


def average_members(members: list[keras.Model], name: str = "ensemble") -> keras.Model:
    """One model whose output is the mean of ``members``' outputs (same input and output shapes).

    For ``[L, d]`` outputs the mean prediction ``mean(L) r + mean(d)`` is the mean of the members' returns.
    A single member is returned unchanged.
    """
    if not members:
        raise ValueError("average_members: no members")
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(members[0].input_shape[1:], name="features")
    outputs = [member(inputs) for member in members]
    return keras.Model(inputs, layers.Average(name="member_mean")(outputs), name=name)


def _check_shape(n_features: int, window: int) -> None:
    for name, value in (("n_features", n_features), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _size_name(size: Size) -> str:
    return size if isinstance(size, str) else f"x{size:g}"


CUSTOM_OBJECTS: dict[str, Any] = {
    "OutputScaling": OutputScaling, "LeverageDragHead": LeverageDragHead, "LastStep": LastStep,
    "TrackingLoss": TrackingLoss, "TQQQFocusedLoss": TQQQFocusedLoss,
}
