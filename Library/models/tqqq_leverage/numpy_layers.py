"""numpy forward passes of the custom layers in :mod:`.networks`, for :mod:`models.inference` (no Keras import).

Each mirrors the layer's ``call``; the inference tests compare whole networks against ``model.predict``.
"""

from __future__ import annotations

import numpy as np

from ..inference import register_layer, sigmoid

_PACKAGE = "tqqq_leverage"


@register_layer(f"{_PACKAGE}>OutputScaling")
def _output_scaling(layer):
    low, high = float(layer.option("low")), float(layer.option("high"))
    return lambda x: low + (high - low) * x


@register_layer(f"{_PACKAGE}>LeverageDragHead")
def _leverage_drag_head(layer):
    low, high, scale = float(layer.option("low")), float(layer.option("high")), float(layer.option("drag_scale"))
    return lambda x: np.concatenate([low + (high - low) * sigmoid(x[:, 0:1]), scale * x[:, 1:2]], axis=-1)


@register_layer(f"{_PACKAGE}>LastStep")
def _last_step(layer):
    return lambda x: x[:, -1, :]
