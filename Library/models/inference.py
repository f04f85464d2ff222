"""Fast inference for the strategies' small Keras networks: a plain numpy forward pass, no TensorFlow.

An algorithm calls its network once per decision on one or a few windows. Through Keras each call pays eager
dispatch (about a millisecond, more than the arithmetic of these networks), and importing TensorFlow costs
seconds and hundreds of MB. :func:`load_keras` reads a ``.keras`` artifact (a zip of ``config.json`` and
``model.weights.h5``) and returns a :class:`NumpyModel`: the same graph evaluated with numpy in float64, called
like a Keras model (``model(x, training=False)``, ``model.predict(x)``, ``input_shape``, ``output_shape``).

Covered: Sequential and Functional models (nested models included), InputLayer, Dense, LSTM, GRU (reset_after),
Bidirectional, LayerNormalization, BatchNormalization (inference statistics), Dropout and SpatialDropout (identity
at inference), Flatten, Reshape, Concatenate, Add, Subtract, Multiply, Average, Activation, LeakyReLU, ReLU,
MultiHeadAttention (self- and cross-attention without masks), the activations ``linear relu sigmoid tanh swish
silu leaky_relu elu softplus softsign softmax``, and layers registered with :func:`register_layer` (a strategy's
custom layers). Anything else (a layer, an activation, a mask, a stateful RNN) raises
:class:`UnsupportedLayerError` naming it: nothing is approximated. Outputs match ``model.predict`` to float32
rounding (tests compare every strategy's architecture to 1e-6).

Robustness: the reader follows Keras 3's saving format (``saving_lib``: weights under
``layers/<layer name>/[<sublayer>/]vars/<i>``), checks every weight's shape against the layer's configuration
and that every stored variable is used; a file of another layout fails loudly, and research keeps loading with
Keras (``models.store``, ``inference="keras"``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NumpyModel", "UnsupportedLayerError", "load_keras", "register_layer", "sigmoid"]

Array = np.ndarray
Forward = Callable[..., Array]


class UnsupportedLayerError(ValueError):
    """The network holds a layer, activation or option the numpy forward pass does not implement."""


# ----------------------------------------------------------------------------------------------- activations
def sigmoid(x: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: Array, axis: int = -1) -> Array:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "swish": lambda x: x * sigmoid(x),
    "silu": lambda x: x * sigmoid(x),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),  # keras.activations.leaky_relu: negative_slope 0.2
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "softmax": _softmax,
}


def _activation(spec: Any, where: str) -> Callable[[Array], Array]:
    name = spec
    if isinstance(spec, dict):  # {"module": "keras.activations", "class_name": "function", "config": "swish"}
        name = spec.get("config") if isinstance(spec.get("config"), str) else spec.get("class_name")
    if name is None:
        name = "linear"
    if name not in _ACTIVATIONS:
        raise UnsupportedLayerError(f"{where}: activation {spec!r} has no numpy implementation "
                                    f"(supported: {sorted(_ACTIVATIONS)})")
    return _ACTIVATIONS[name]


# ------------------------------------------------------------------------------------------------------ layers
@dataclass
class _Layer:
    """One layer's configuration and its stored variables (consumed in order by the builders)."""

    class_name: str
    config: dict
    weights: dict[str, list[Array]]  # sub-path ("" for the layer's own vars) -> arrays in storage order
    name: str = ""
    used: set[str] = field(default_factory=set)

    def vars(self, sub: str = "", count: int | None = None) -> list[Array]:
        arrays = self.weights.get(sub, [])
        if count is not None and len(arrays) != count:
            raise UnsupportedLayerError(f"layer {self.name!r} ({self.class_name}): {len(arrays)} stored "
                                        f"variables under {sub or 'vars'!r}, expected {count}")
        self.used.add(sub)
        return [np.asarray(a, dtype=np.float64) for a in arrays]

    def option(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def refuse(self, key: str, allowed: Sequence[Any]) -> None:
        value = self.config.get(key, allowed[0])
        if value not in allowed:
            raise UnsupportedLayerError(f"layer {self.name!r} ({self.class_name}): {key}={value!r} is not "
                                        "supported by the numpy forward pass")


Builder = Callable[[_Layer], Forward]
_BUILDERS: dict[str, Builder] = {}


def register_layer(name: str) -> Callable[[Builder], Builder]:
    """Register a numpy builder for a layer class: ``name`` is the config's ``registered_name`` (``package>Class``
    for ``keras.saving.register_keras_serializable``) or its ``class_name``. The builder receives the layer's
    configuration (``.config``, ``.option``, ``.vars()``) and returns ``forward(*inputs) -> array``."""
    def decorate(builder: Builder) -> Builder:
        _BUILDERS[name] = builder
        return builder
    return decorate


def _expect_shape(layer: _Layer, array: Array, shape: tuple[int, ...], what: str) -> None:
    if array.shape != shape:
        raise UnsupportedLayerError(f"layer {layer.name!r} ({layer.class_name}): {what} has shape {array.shape}, "
                                    f"its configuration implies {shape}")


@register_layer("Dense")
def _dense(layer: _Layer) -> Forward:
    use_bias = layer.option("use_bias", True)
    arrays = layer.vars("", 2 if use_bias else 1)
    kernel = arrays[0]
    _expect_shape(layer, kernel, (kernel.shape[0], int(layer.option("units"))), "kernel")
    bias = arrays[1] if use_bias else 0.0
    act = _activation(layer.option("activation"), layer.name)
    return lambda x: act(x @ kernel + bias)


def _recurrent_common(layer: _Layer) -> None:
    for key, allowed in (("stateful", (False,)), ("time_major", (False,)), ("use_cudnn", ("auto", True, False)),
                         ("return_state", (False,))):
        layer.refuse(key, allowed)


def _rnn(layer: _Layer, step: Callable[[Array, Array, Any], tuple[Array, Any]], state: Callable[[int], Any],
         units: int) -> Forward:
    sequences = bool(layer.option("return_sequences", False))
    backwards = bool(layer.option("go_backwards", False))

    def forward(x: Array) -> Array:
        steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
        carry = state(len(x))
        outputs = []
        for t in steps:
            h, carry = step(x[:, t], carry[0], carry)
            outputs.append(h)
        return np.stack(outputs, axis=1) if sequences else outputs[-1]
    return forward


@register_layer("LSTM")
def _lstm(layer: _Layer) -> Forward:
    _recurrent_common(layer)
    units = int(layer.option("units"))
    use_bias = layer.option("use_bias", True)
    arrays = layer.vars("cell", 3 if use_bias else 2)
    kernel, recurrent = arrays[0], arrays[1]
    _expect_shape(layer, recurrent, (units, 4 * units), "recurrent kernel")
    _expect_shape(layer, kernel, (kernel.shape[0], 4 * units), "kernel")
    bias = arrays[2] if use_bias else np.zeros(4 * units)
    act = _activation(layer.option("activation", "tanh"), layer.name)
    gate = _activation(layer.option("recurrent_activation", "sigmoid"), layer.name)

    def step(x_t: Array, h: Array, carry: Any) -> tuple[Array, Any]:
        z = x_t @ kernel + h @ recurrent + bias
        i, f = gate(z[:, :units]), gate(z[:, units:2 * units])
        c = f * carry[1] + i * act(z[:, 2 * units:3 * units])
        h = gate(z[:, 3 * units:]) * act(c)
        return h, (h, c)
    return _rnn(layer, step, lambda n: (np.zeros((n, units)), np.zeros((n, units))), units)


@register_layer("GRU")
def _gru(layer: _Layer) -> Forward:
    _recurrent_common(layer)
    layer.refuse("reset_after", (True,))
    units = int(layer.option("units"))
    use_bias = layer.option("use_bias", True)
    arrays = layer.vars("cell", 3 if use_bias else 2)
    kernel, recurrent = arrays[0], arrays[1]
    _expect_shape(layer, recurrent, (units, 3 * units), "recurrent kernel")
    bias = arrays[2] if use_bias else np.zeros((2, 3 * units))
    _expect_shape(layer, bias, (2, 3 * units), "bias")
    act = _activation(layer.option("activation", "tanh"), layer.name)
    gate = _activation(layer.option("recurrent_activation", "sigmoid"), layer.name)

    def step(x_t: Array, h: Array, carry: Any) -> tuple[Array, Any]:
        xz = x_t @ kernel + bias[0]
        hz = h @ recurrent + bias[1]
        z = gate(xz[:, :units] + hz[:, :units])
        r = gate(xz[:, units:2 * units] + hz[:, units:2 * units])
        candidate = act(xz[:, 2 * units:] + r * hz[:, 2 * units:])
        h = z * h + (1.0 - z) * candidate
        return h, (h,)
    return _rnn(layer, step, lambda n: (np.zeros((n, units)),), units)


@register_layer("Bidirectional")
def _bidirectional(layer: _Layer) -> Forward:
    merge = layer.option("merge_mode", "concat")
    if merge not in ("concat", "sum", "ave", "mul"):
        raise UnsupportedLayerError(f"layer {layer.name!r} (Bidirectional): merge_mode={merge!r} is not supported")
    inner = layer.option("layer")
    backward_spec = layer.option("backward_layer") or _reversed(inner)
    parts = []
    for sub, spec in (("forward_layer", inner), ("backward_layer", backward_spec)):
        sublayer = _Layer(spec["class_name"], spec["config"], {k[len(sub) + 1:] if k.startswith(sub + "/") else
                                                               "": v for k, v in layer.weights.items()
                                                               if k == sub or k.startswith(sub + "/")},
                          name=f"{layer.name}/{sub}")
        parts.append(_build(sublayer))
        _check_used(sublayer)
        layer.used.update(k for k in layer.weights if k == sub or k.startswith(sub + "/"))
    forward, backward = parts
    sequences = bool(inner["config"].get("return_sequences", False))

    def call(x: Array) -> Array:
        a, b = forward(x), backward(x)
        if sequences:
            b = b[:, ::-1]
        if merge == "concat":
            return np.concatenate([a, b], axis=-1)
        return a + b if merge == "sum" else (a + b) / 2 if merge == "ave" else a * b
    return call


def _reversed(spec: dict) -> dict:
    return {**spec, "config": {**spec["config"], "go_backwards": not spec["config"].get("go_backwards", False)}}


@register_layer("LayerNormalization")
def _layer_norm(layer: _Layer) -> Forward:
    axis = layer.option("axis", -1)
    if axis not in (-1, [-1]):
        raise UnsupportedLayerError(f"layer {layer.name!r} (LayerNormalization): axis={axis!r}; only the last "
                                    "axis is supported")
    layer.refuse("rms_scaling", (False,))
    scale, center = layer.option("scale", True), layer.option("center", True)
    arrays = layer.vars("", int(scale) + int(center))
    gamma = arrays[0] if scale else 1.0
    beta = arrays[-1] if center else 0.0
    eps = float(layer.option("epsilon", 1e-3))

    def call(x: Array) -> Array:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * gamma + beta
    return call


@register_layer("BatchNormalization")
def _batch_norm(layer: _Layer) -> Forward:
    if layer.option("axis", -1) not in (-1, [-1]):
        raise UnsupportedLayerError(f"layer {layer.name!r} (BatchNormalization): only the last axis is supported")
    layer.refuse("renorm", (False,))
    scale, center = layer.option("scale", True), layer.option("center", True)
    arrays = layer.vars("", int(scale) + int(center) + 2)
    gamma = arrays[0] if scale else 1.0
    beta = arrays[int(scale)] if center else 0.0
    mean, var = arrays[-2], arrays[-1]
    factor = gamma / np.sqrt(var + float(layer.option("epsilon", 1e-3)))
    return lambda x: (x - mean) * factor + beta


@register_layer("MultiHeadAttention")
def _attention(layer: _Layer) -> Forward:
    if layer.option("attention_axes") not in (None, [1], (1,)):
        raise UnsupportedLayerError(f"layer {layer.name!r} (MultiHeadAttention): attention_axes is not supported")
    dense = {}
    for part in ("query", "key", "value", "output"):
        sub = f"{part}_dense"
        arrays = layer.vars(sub)
        if len(arrays) not in (1, 2):
            raise UnsupportedLayerError(f"layer {layer.name!r}: {len(arrays)} variables in {sub}")
        dense[part] = (arrays[0], arrays[1] if len(arrays) == 2 else 0.0)
    key_dim = dense["query"][0].shape[-1]
    scale = 1.0 / np.sqrt(float(key_dim))

    def call(query: Array, value: Array, key: Array | None = None) -> Array:
        key = value if key is None else key
        q = (np.einsum("btd,dhk->bthk", query, dense["query"][0]) + dense["query"][1]) * scale
        k = np.einsum("bsd,dhk->bshk", key, dense["key"][0]) + dense["key"][1]
        v = np.einsum("bsd,dhk->bshk", value, dense["value"][0]) + dense["value"][1]
        weights = _softmax(np.einsum("bshk,bthk->bhts", k, q), axis=-1)
        context = np.einsum("bhts,bshk->bthk", weights, v)
        return np.einsum("bthk,hkd->btd", context, dense["output"][0]) + dense["output"][1]
    return call


def _identity(layer: _Layer) -> Forward:
    return lambda x: x


for _name in ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "InputLayer"):
    register_layer(_name)(_identity)


@register_layer("Flatten")
def _flatten(layer: _Layer) -> Forward:
    return lambda x: x.reshape(len(x), -1)


@register_layer("Reshape")
def _reshape(layer: _Layer) -> Forward:
    target = tuple(int(d) for d in layer.option("target_shape"))
    return lambda x: x.reshape((len(x), *target))


@register_layer("Concatenate")
def _concatenate(layer: _Layer) -> Forward:
    axis = int(layer.option("axis", -1))
    return lambda *xs: np.concatenate(xs, axis=axis)


register_layer("Add")(lambda layer: lambda *xs: sum(xs[1:], xs[0]))
register_layer("Subtract")(lambda layer: lambda a, b: a - b)
register_layer("Average")(lambda layer: lambda *xs: sum(xs[1:], xs[0]) / len(xs))


@register_layer("Multiply")
def _multiply(layer: _Layer) -> Forward:
    def call(*xs: Array) -> Array:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
    return call


@register_layer("Activation")
def _activation_layer(layer: _Layer) -> Forward:
    return _activation(layer.option("activation"), layer.name)


@register_layer("LeakyReLU")
def _leaky(layer: _Layer) -> Forward:
    slope = float(layer.option("negative_slope", 0.3))
    return lambda x: np.where(x >= 0, x, slope * x)


@register_layer("ReLU")
def _relu(layer: _Layer) -> Forward:
    if layer.option("max_value") is not None or layer.option("threshold", 0.0) or layer.option("negative_slope", 0.0):
        raise UnsupportedLayerError(f"layer {layer.name!r} (ReLU): max_value/threshold/negative_slope unsupported")
    return lambda x: np.maximum(x, 0.0)


def _build(layer: _Layer) -> Forward:
    registered = layer.config.get("__registered_name__")
    builder = _BUILDERS.get(registered) if registered else None
    builder = builder or _BUILDERS.get(layer.class_name)
    if builder is None:
        hint = (" (a custom layer: register a numpy implementation with models.inference.register_layer("
                f"{registered!r}))" if registered and ">" in str(registered) else "")
        raise UnsupportedLayerError(f"layer {layer.name!r} of type {layer.class_name} has no numpy forward pass"
                                    f"{hint}; load the model with Keras instead (inference='keras')")
    return builder(layer)


def _check_used(layer: _Layer) -> None:
    unused = [k for k, v in layer.weights.items() if v and k not in layer.used]
    if unused:
        raise UnsupportedLayerError(f"layer {layer.name!r} ({layer.class_name}) stores variables under {unused} "
                                    "that the numpy forward pass does not use")


# ------------------------------------------------------------------------------------------------------ models
@dataclass
class _Node:
    forward: Forward
    inputs: list[tuple[str, int]]   # (producer, output index)
    kwargs: dict[str, tuple[str, int]]
    name: str


class NumpyModel:
    """A Keras model's inference graph in numpy, called like the Keras model: ``model(x, training=False)``."""

    def __init__(self, name: str, inputs: list[tuple[str, int]], nodes: list[_Node], outputs: list[tuple[str, int]],
                 input_shape: tuple):
        self.name = name
        self._inputs, self._nodes, self._outputs = inputs, nodes, outputs
        self.input_shape = input_shape
        self.output_shape = (None, *self._run([np.zeros((1, *input_shape[1:]))])[0].shape[1:])

    def _run(self, xs: list[Array]) -> list[Array]:
        values: dict[tuple[str, int], Array] = dict(zip(self._inputs, xs, strict=True))
        for node in self._nodes:
            kwargs = {k: values[v] for k, v in node.kwargs.items()}
            values[(node.name, 0)] = node.forward(*(values[i] for i in node.inputs), **kwargs)
        return [values[o] for o in self._outputs]

    def __call__(self, x: Any, training: bool = False) -> Array:
        if training:
            raise ValueError(f"{self.name}: a NumpyModel only does inference (training=False)")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != len(self.input_shape) or x.shape[1:] != tuple(self.input_shape[1:]):
            raise ValueError(f"{self.name}: input of shape {x.shape}, the model takes {self.input_shape}")
        return self._run([x])[0]

    def predict(self, x: Any, verbose: Any = 0, batch_size: int | None = None) -> Array:
        return self(x)

    def count_params(self) -> int:
        return self._params

    _params = 0


def _tensors(value: Any) -> list[tuple[str, int]]:
    """Every ``__keras_tensor__`` reference in a node's arguments, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            return [(str(history[0]), int(history[2]))]
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _tensors(v)]
    return []


def _refs(value: Any) -> list[tuple[str, int]]:
    """``input_layers``/``output_layers``: one ``[name, node, index]`` or a list of them."""
    if value and isinstance(value[0], str):
        return [(str(value[0]), int(value[2]))]
    return [(str(v[0]), int(v[2])) for v in value]


def _layer_weights(weights: dict[str, list[Array]], prefix: str) -> dict[str, list[Array]]:
    """The arrays under ``prefix`` keyed by the remaining path ("" for the layer's own ``vars``)."""
    out: dict[str, list[Array]] = {}
    for path, arrays in weights.items():
        if path == prefix:
            out[""] = arrays
        elif path.startswith(prefix + "/"):
            out[path[len(prefix) + 1:]] = arrays
    return out


def _snake(name: str) -> str:
    """Keras' ``naming.to_snake_case``: the weights file names a layer by its class, not by its own name."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _storage_names(layers: list[dict]) -> list[str]:
    """Where ``saving_lib`` stores each layer's variables: ``snake_case(class)`` with ``_1``, ``_2``... for
    repeats, in the order of the container's layers."""
    used: dict[str, int] = {}
    names = []
    for entry in layers:
        name = _snake(entry["class_name"])
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        names.append(name)
    return names


def _graph(spec: dict, weights: dict[str, list[Array]], prefix: str, counter: list[int]
           ) -> tuple[list[tuple[str, int]], list[_Node], list[tuple[str, int]], tuple]:
    """Nodes of a Sequential or Functional config; nested models are inlined under their own name."""
    class_name, config = spec["class_name"], spec["config"]
    layers = config["layers"]
    if class_name == "Sequential":
        first = layers[0]
        if first["class_name"] != "InputLayer":
            raise UnsupportedLayerError(f"{config.get('name')}: a Sequential model without an Input is not supported")
        shape = tuple(first["config"].get("batch_shape") or first["config"].get("batch_input_shape"))
        previous, nodes = (first["config"]["name"], 0), []
        for entry, stored in zip(layers[1:], _storage_names(layers)[1:], strict=True):
            name = entry["config"]["name"]
            node = _node(entry, weights, f"{prefix}layers/{stored}", [previous], {}, name, counter)
            nodes.extend(node)
            previous = (nodes[-1].name, 0)
        return [(first["config"]["name"], 0)], nodes, [previous], shape
    if class_name not in ("Functional", "Model"):
        raise UnsupportedLayerError(f"model class {class_name} is not supported (Sequential or Functional only)")
    shape: tuple = ()
    nodes: list[_Node] = []
    rename: dict[tuple[str, int], tuple[str, int]] = {}
    for entry, stored in zip(layers, _storage_names(layers), strict=True):
        name = entry.get("name") or entry["config"]["name"]
        if entry["class_name"] == "InputLayer":
            shape = tuple(entry["config"].get("batch_shape") or entry["config"].get("batch_input_shape"))
            continue
        if len(entry.get("inbound_nodes", [])) != 1:
            raise UnsupportedLayerError(f"layer {name!r} is called {len(entry.get('inbound_nodes', []))} times; "
                                        "shared layers are not supported")
        inbound = entry["inbound_nodes"][0]
        args = [rename.get(t, t) for t in _tensors(inbound.get("args", []))]
        kwargs = {k: rename.get(_tensors(v)[0], _tensors(v)[0]) for k, v in (inbound.get("kwargs") or {}).items()
                  if _tensors(v)}
        for key, value in (inbound.get("kwargs") or {}).items():
            if "mask" in key and value is not None:
                raise UnsupportedLayerError(f"layer {name!r}: {key} is not supported")
        made = _node(entry, weights, f"{prefix}layers/{stored}", args, kwargs, name, counter)
        nodes.extend(made)
        rename[(name, 0)] = (made[-1].name, 0)
    inputs = _refs(config["input_layers"])
    if len(inputs) != 1:
        raise UnsupportedLayerError(f"{config.get('name')}: {len(inputs)} inputs; one input is supported")
    outputs = [rename.get(o, o) for o in _refs(config["output_layers"])]
    return inputs, nodes, outputs, shape


def _node(entry: dict, weights: dict[str, list[Array]], path: str, args: list[tuple[str, int]],
          kwargs: dict[str, tuple[str, int]], name: str, counter: list[int]) -> list[_Node]:
    if entry["class_name"] in ("Functional", "Sequential", "Model"):  # a nested model: inline its graph
        inner_inputs, inner_nodes, inner_outputs, _ = _graph(entry, weights, path + "/", counter)
        if len(args) != 1 or len(inner_outputs) != 1:
            raise UnsupportedLayerError(f"nested model {name!r}: one input and one output are supported")
        scope = f"{name}/"
        mapping = {inner_inputs[0]: args[0]}
        nodes = []
        for node in inner_nodes:
            renamed = (scope + node.name, 0)
            nodes.append(_Node(node.forward, [mapping.get(i, (scope + i[0], i[1])) for i in node.inputs],
                               {k: mapping.get(v, (scope + v[0], v[1])) for k, v in node.kwargs.items()},
                               renamed[0]))
        last = mapping.get(inner_outputs[0], (scope + inner_outputs[0][0], 0))
        nodes.append(_Node(lambda x: x, [last], {}, name))
        return nodes
    config = dict(entry["config"])
    if entry.get("registered_name"):
        config["__registered_name__"] = entry["registered_name"]
    layer = _Layer(entry["class_name"], config, _layer_weights(weights, path), name=name)
    forward = _build(layer)
    _check_used(layer)
    counter[0] += sum(a.size for arrays in layer.weights.values() for a in arrays)
    return [_Node(forward, args, kwargs, name)]


def _read_weights(data: bytes) -> dict[str, list[Array]]:
    """``{group path: [vars/0, vars/1, ...]}`` of a Keras 3 ``model.weights.h5``."""
    import h5py

    found: dict[str, list[Array]] = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        def visit(path: str, obj: Any) -> None:
            if "optimizer" in path.split("/"):  # a compiled model's (or member's) optimizer state: not inference
                return
            if isinstance(obj, h5py.Group) and path.endswith("vars") and len(obj):
                owner = path[: -len("/vars")] if path != "vars" else ""
                found[owner] = [np.asarray(obj[str(i)]) for i in range(len(obj))]
        h5.visititems(visit)
    return found


def load_keras(source: str | Path | bytes) -> NumpyModel:
    """A :class:`NumpyModel` from a ``.keras`` file (path or bytes); raises :class:`UnsupportedLayerError`."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            spec = json.loads(archive.read("config.json"))
            weights = _read_weights(archive.read("model.weights.h5"))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise UnsupportedLayerError(f"not a Keras 3 .keras archive (config.json + model.weights.h5): {exc}") from exc
    counter = [0]
    inputs, nodes, outputs, shape = _graph(spec, weights, "", counter)
    if len(outputs) != 1:
        raise UnsupportedLayerError(f"{spec['config'].get('name')}: {len(outputs)} outputs; one is supported")
    stored = sum(a.size for arrays in weights.values() for a in arrays)
    if stored != counter[0]:
        raise UnsupportedLayerError(f"{spec['config'].get('name')}: the file stores {stored} weights, the graph "
                                    f"uses {counter[0]}; the layout is not the one this reader knows")
    model = NumpyModel(str(spec["config"].get("name", "model")), inputs, nodes, outputs, shape)
    model._params = stored
    return model
