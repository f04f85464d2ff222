"""The model store: walk-forward model timelines in a LEAN ObjectStore, loaded as of a date.

Layout (DESIGN.md section 5)::

    <strategy>/<cutoff YYYY-MM-DD>/<name>.keras     a Keras model
    <strategy>/<cutoff YYYY-MM-DD>/<name>.joblib    anything else (sklearn models, scalers, arrays, dicts)
    <strategy>/<cutoff YYYY-MM-DD>/manifest.json    written last; a cutoff without it does not exist

Works with any object exposing LEAN's ObjectStore API (``contains_key``, ``get_file_path``, ``save``,
``save_string``, ``read``, ``read_bytes``, ``delete``, ``keys``): LEAN's ``self.object_store`` /
``qb.object_store`` and qclocal's. It never asks which runtime it is in. See docs/models.md for the schema
and the rules.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .dates import as_timestamp

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "TRAIN_COMMANDS",
    "LoadedModel",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelTimeline",
    "clean_incomplete",
    "delete_model",
    "library_versions",
    "list_timelines",
    "load_as_of",
    "manifest_key",
    "save_model",
    "train_command",
]

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
STRATEGIES = ("tqqq_leverage", "mag7_lstm", "russell_qpi", "sector_rotation", "pairs_reversion")
TRAIN_COMMANDS: dict[str, str] = {name: f"qclocal research research/{name}.ipynb" for name in STRATEGIES}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_STRATEGY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KEY = re.compile(r"^(?P<strategy>[^/]+)/(?P<cutoff>\d{4}-\d{2}-\d{2})/(?P<rest>.+)$")
_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"),
    "keras": ("keras",),
    "scikit-learn": ("scikit-learn",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "joblib": ("joblib",),
}


class ModelNotFoundError(LookupError):
    """No usable model: the timeline is missing, or every cutoff is on or after the requested date."""


class ModelIntegrityError(ValueError):
    """A manifest or artifact that cannot be trusted: missing, truncated, modified, or for other features."""


def train_command(strategy: str) -> str:
    """The command that trains ``strategy``'s timeline. A variant timeline ``<strategy>_<variant>`` (for example
    ``tqqq_leverage_reference``) is trained by its strategy's notebook with ``--parameter variants <variant>``."""
    if strategy in TRAIN_COMMANDS:
        return TRAIN_COMMANDS[strategy]
    for name in STRATEGIES:
        if strategy.startswith(name + "_"):
            return f"{TRAIN_COMMANDS[name]} --parameter variants {strategy[len(name) + 1:]}"
    return f"qclocal research research/{strategy}.ipynb"


def manifest_key(strategy: str, cutoff: date | datetime | str) -> str:
    return f"{strategy}/{_as_date(cutoff, 'cutoff').isoformat()}/{MANIFEST}"


def library_versions() -> dict[str, str | None]:
    """Versions of Python and of the libraries a model depends on, as installed here (None: not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for library, distributions in _DISTRIBUTIONS.items():
        versions[library] = None
        for dist in distributions:
            try:
                versions[library] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions


@dataclass
class LoadedModel:
    strategy: str
    cutoff: date
    artifacts: dict[str, Any]
    manifest: dict

    def __getitem__(self, name: str) -> Any:
        try:
            return self.artifacts[name]
        except KeyError:
            raise KeyError(
                f"model {self.strategy}/{self.cutoff} has no artifact {name!r}; "
                f"it has {sorted(self.artifacts)}"
            ) from None

    @property
    def key(self) -> str:
        return manifest_key(self.strategy, self.cutoff)

    @property
    def feature_names(self) -> list[str]:
        return list(self.manifest["feature_names"])

    @property
    def metrics(self) -> dict:
        return dict(self.manifest.get("metrics") or {})

    @property
    def hyperparameters(self) -> dict:
        return dict(self.manifest.get("hyperparameters") or {})


# -- small helpers -------------------------------------------------------------------------------------------


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return as_timestamp(value, what).date()


def _window(value: Any, what: str) -> tuple[date, date]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"{what} must be a (start, end) pair of dates, got {value!r}")
    start, end = _as_date(value[0], f"{what} start"), _as_date(value[1], f"{what} end")
    if start > end:
        raise ValueError(f"{what} starts {start} after it ends {end}")
    return start, end


def _jsonable(value: Any, where: str) -> Any:
    """Plain JSON values (numpy scalars and arrays, dates, tuples converted; NaN/inf become null)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), where)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"{where}: a {type(value).__name__} cannot go into manifest.json; "
        "use numbers, strings, booleans, dates, lists or dicts"
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keys(object_store: Any) -> list[str]:
    return [str(key).lstrip("/") for key in object_store.keys]


def _read_bytes(object_store: Any, key: str) -> bytes:
    """The stored bytes of ``key``, via the file LEAN materialises at ``get_file_path`` when there is one."""
    path = object_store.get_file_path(key)
    if path and os.path.isfile(str(path)):
        return Path(str(path)).read_bytes()
    return bytes(object_store.read_bytes(key))


def _is_keras_model(obj: Any) -> bool:
    keras = sys.modules.get("keras")  # a Keras model can only exist once keras has been imported
    return keras is not None and isinstance(obj, keras.Model)


def _scan(object_store: Any, strategy: str | None = None) -> dict[str, dict[date, set[str]]]:
    """``{strategy: {cutoff: {file names under <strategy>/<cutoff>/}}}`` from the store's keys."""
    found: dict[str, dict[date, set[str]]] = {}
    for key in _keys(object_store):
        match = _KEY.match(key)
        if not match or (strategy is not None and match["strategy"] != strategy):
            continue
        try:
            cutoff = date.fromisoformat(match["cutoff"])
        except ValueError:
            continue
        found.setdefault(match["strategy"], {}).setdefault(cutoff, set()).add(match["rest"])
    return found


# -- saving --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    name: str
    file: str
    format: str
    path: Path
    sha256: str
    size: int


def _stage(name: str, obj: Any, folder: Path) -> _Staged:
    if _is_keras_model(obj):
        fmt, file = "keras", f"{name}.keras"
        path = folder / file
        obj.save(str(path))
    else:
        import joblib

        fmt, file = "joblib", f"{name}.joblib"
        path = folder / file
        try:
            joblib.dump(obj, path)
        except Exception as exc:
            raise TypeError(
                f"artifact {name!r} ({type(obj).__name__}) cannot be saved with joblib: {exc}"
            ) from exc
    data = path.read_bytes()
    return _Staged(name, file, fmt, path, _sha256(data), len(data))


def save_model(
    object_store: Any,
    strategy: str,
    cutoff: date,
    artifacts: dict[str, Any],
    *,
    feature_names: list[str],
    train_window: tuple[date, date],
    validation_window: tuple[date, date] | None,
    hyperparameters: dict,
    metrics: dict,
    extra: dict | None = None,
) -> str:
    """Save one model of ``strategy``'s timeline at ``cutoff``; returns the manifest key.

    ``artifacts``: ``{name: object}``; a ``keras.Model`` is written as ``<name>.keras``, anything else with
    joblib as ``<name>.joblib``. Artifacts are serialised locally first, then written with
    ``get_file_path`` + ``save`` and read back to check their sha256; ``manifest.json`` is written last.
    A model already saved at this cutoff is replaced: its manifest is deleted before anything else, so a
    reader never sees a manifest that refers to artifacts of another save. On any failure every key written
    is removed.
    """
    if not isinstance(strategy, str) or not _STRATEGY.match(strategy):
        raise ValueError(f"strategy must be a folder-safe name such as 'mag7_lstm', got {strategy!r}")
    cut = _as_date(cutoff, "cutoff")
    if not isinstance(artifacts, Mapping) or not artifacts:
        raise ValueError("artifacts must be a non-empty dict {name: model or object}")
    for name in artifacts:
        if not isinstance(name, str) or not _NAME.match(name) or name == "manifest":
            raise ValueError(
                f"artifact name {name!r} must match [A-Za-z0-9][A-Za-z0-9_-]* (no dots, slashes or "
                "extension; the extension comes from the type) and must not be 'manifest'"
            )
    if not isinstance(feature_names, list | tuple) or not all(isinstance(f, str) for f in feature_names):
        raise ValueError("feature_names must be a list of strings, in the order the model consumes them")
    if len(set(feature_names)) != len(feature_names):
        twice = sorted({f for f in feature_names if feature_names.count(f) > 1})
        raise ValueError(f"feature_names has duplicates: {twice}")
    train = _window(train_window, "train_window")
    if train[1] >= cut:
        raise ValueError(
            f"train_window ends {train[1]}, on or after the cutoff {cut}: a model may learn only from "
            "data before its cutoff (windows are inclusive: pass the last training sample's date)"
        )
    validation = None if validation_window is None else _window(validation_window, "validation_window")
    body = {
        "schema_version": SCHEMA_VERSION,
        "strategy": strategy,
        "cutoff": cut.isoformat(),
        "created_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "train_window": [d.isoformat() for d in train],
        "validation_window": None if validation is None else [d.isoformat() for d in validation],
        "feature_names": list(feature_names),
        "hyperparameters": _jsonable(dict(hyperparameters or {}), "hyperparameters"),
        "metrics": _jsonable(dict(metrics or {}), "metrics"),
        "versions": library_versions(),
        "extra": _jsonable(dict(extra or {}), "extra"),
    }
    prefix = f"{strategy}/{cut.isoformat()}/"
    mkey = prefix + MANIFEST
    lock = getattr(object_store, "lock", None)  # qclocal's store serialises writers; LEAN's has no such member
    with tempfile.TemporaryDirectory(prefix="model-save-") as folder, (
        lock() if callable(lock) else contextlib.nullcontext()
    ):
        staged = [_stage(name, obj, Path(folder)) for name, obj in artifacts.items()]
        existing = [key for key in _keys(object_store) if key.startswith(prefix)]
        _refuse_foreign(object_store, mkey, existing)
        if mkey in existing:  # from here the old model at this cutoff no longer exists
            object_store.delete(mkey)
        for key in existing:
            if key != mkey:
                object_store.delete(key)
        written: list[str] = []
        try:
            for item in staged:
                key = prefix + item.file
                written.append(key)
                target = str(object_store.get_file_path(key))
                os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
                shutil.copyfile(item.path, target)
                object_store.save(key)
                stored = _read_bytes(object_store, key)
                if _sha256(stored) != item.sha256:
                    raise ModelIntegrityError(
                        f"saving {key!r}: the ObjectStore returned {len(stored)} bytes that "
                        f"differ from the {item.size} bytes written"
                    )
            body["artifacts"] = {
                item.name: {
                    "file": item.file,
                    "format": item.format,
                    "sha256": item.sha256,
                    "bytes": item.size,
                }
                for item in staged
            }
            text = json.dumps(body, indent=2, allow_nan=False)
            written.append(mkey)
            object_store.save_string(mkey, text)
            if str(object_store.read(mkey)) != text:
                raise ModelIntegrityError(f"saving {mkey!r}: the ObjectStore returned a different manifest")
        except BaseException:
            for key in reversed(written):  # the manifest (last written) goes first
                try:
                    object_store.delete(key)
                except Exception:  # noqa: BLE001 - best effort; the original error matters more
                    pass
            raise
    return mkey


def _refuse_foreign(object_store: Any, mkey: str, existing: list[str]) -> None:
    """A save replaces only what an earlier save wrote: the artifacts its manifest lists (or, with no manifest,
    an interrupted save's .keras/.joblib files). Anything else under the cutoff stops the save."""
    prefix = mkey[: -len(MANIFEST)]
    ours: set[str] = {mkey}
    if mkey in existing:
        try:
            listed = json.loads(str(object_store.read(mkey))).get("artifacts", {})
            ours |= {prefix + str(info.get("file")) for info in listed.values() if isinstance(info, dict)}
        except (ValueError, AttributeError):
            pass  # an unreadable manifest: only artifact-shaped files count as the save's own
    foreign = [k for k in existing if k not in ours and not k.endswith((".keras", ".joblib"))]
    if foreign:
        raise ValueError(
            f"cannot save a model at {prefix}: the ObjectStore holds keys there that no model save wrote "
            f"({', '.join(sorted(foreign))}); nothing was changed. Move them elsewhere first."
        )


def delete_model(object_store: Any, strategy: str, cutoff: date | datetime | str) -> list[str]:
    """Delete one model (manifest first, so it is never half-present); returns the keys deleted."""
    prefix = f"{strategy}/{_as_date(cutoff, 'cutoff').isoformat()}/"
    keys = sorted(
        (k for k in _keys(object_store) if k.startswith(prefix)), key=lambda k: not k.endswith(MANIFEST)
    )
    for key in keys:
        object_store.delete(key)
    return keys


def clean_incomplete(object_store: Any, strategy: str | None = None) -> list[str]:
    """Delete the leftovers of interrupted saves (keys under a cutoff that has no manifest)."""
    removed: list[str] = []
    for name, cutoffs in _scan(object_store, strategy).items():
        for cutoff, files in cutoffs.items():
            if MANIFEST not in files:
                removed += delete_model(object_store, name, cutoff)
    return removed


# -- loading -------------------------------------------------------------------------------------------------

_OBJECTS: OrderedDict[tuple[str, str, str], Any] = OrderedDict()  # (format, sha256, inference) -> artifact
_OBJECTS_MAX = 8


INFERENCE = ("keras", "numpy", "auto")
CustomObjects = dict | Callable[[], dict] | None  # a callable defers importing the module that defines them


def _numpy_model(file: str, data: bytes, inference: str, log: Callable[[str], None]) -> Any:
    """The numpy forward pass of a ``.keras`` artifact (no TensorFlow import); None when ``inference="auto"``
    and a layer is not supported (the caller loads it with Keras)."""
    from .inference import UnsupportedLayerError, load_keras

    try:
        return load_keras(data)
    except UnsupportedLayerError as exc:
        if inference == "numpy":
            raise
        log(f"models.store: {file} runs through Keras ({exc})")
        return None


def _deserialise(fmt: str, file: str, data: bytes, sha: str, custom_objects: CustomObjects,
                 inference: str = "keras", log: Callable[[str], None] = print) -> Any:
    key = (fmt, sha, inference if fmt == "keras" else "")
    cached = _OBJECTS.get(key)
    if cached is not None:
        _OBJECTS.move_to_end(key)
        return cached
    if fmt == "joblib":
        import joblib

        obj = joblib.load(io.BytesIO(data))
    elif fmt == "keras":
        obj = _numpy_model(file, data, inference, log) if inference != "keras" else None
        if obj is None:
            import keras

            with tempfile.TemporaryDirectory(prefix="model-load-") as folder:
                path = Path(folder) / file
                path.write_bytes(data)
                custom = custom_objects() if callable(custom_objects) else custom_objects
                obj = keras.saving.load_model(str(path), custom_objects=custom, compile=False)
    else:
        raise ValueError(f"unknown artifact format {fmt!r}")
    _OBJECTS[key] = obj
    while len(_OBJECTS) > _OBJECTS_MAX:
        _OBJECTS.popitem(last=False)
    return obj


def _version_warnings(manifest: dict, key: str) -> list[str]:
    trained = manifest.get("versions") or {}
    running = library_versions()
    warnings = []
    for library, version in trained.items():
        if version is None or library not in running:
            continue
        now = running[library]
        same = (
            (now is not None and now.split(".")[:2] == str(version).split(".")[:2])
            if library == "python"
            else now == version
        )
        if not same:
            warnings.append(
                f"WARNING models.store: {key} was trained with {library} {version}, running "
                f"{now or 'not installed'}; predictions may differ. Retrain with "
                f"`{train_command(manifest.get('strategy', ''))}` to match."
            )
    return warnings


class ModelTimeline:
    """The models of one strategy, loaded as of a date and cached. Create one in ``initialize()``.

    ``feature_names``: what the algorithm computes, in order; a model trained on other features is an error.
    ``log``: e.g. ``self.log`` in an algorithm. ``custom_objects``: passed to Keras when loading (or a
    function returning them, called only then).
    ``inference``: how ``.keras`` artifacts load: ``"keras"`` (a ``keras.Model``, for research), ``"numpy"``
    (a :class:`models.inference.NumpyModel`: same outputs, no TensorFlow import, no per-call overhead; an
    unsupported layer is an error) or ``"auto"`` (numpy where every layer is supported, else Keras, logged).
    Each cutoff is loaded once and kept (``as_of`` is a dictionary lookup after the first call).
    """

    def __init__(
        self,
        object_store: Any,
        strategy: str,
        *,
        feature_names: list[str] | None = None,
        log: Callable[[str], None] = print,
        custom_objects: CustomObjects = None,
        inference: str = "keras",
    ):
        if inference not in INFERENCE:
            raise ValueError(f"inference must be one of {INFERENCE}, got {inference!r}")
        self.inference = inference
        self.object_store = object_store
        self.strategy = strategy
        self.feature_names = None if feature_names is None else list(feature_names)
        self.log = log
        self.custom_objects = custom_objects
        self._cutoffs: list[date] | None = None
        self._loaded: dict[date, LoadedModel] = {}
        self._rescanned_on: date | None = None
        self._warned: set[date] = set()

    @property
    def command(self) -> str:
        return train_command(self.strategy)

    def refresh(self) -> None:
        """Rescan the store for cutoffs (after saving new models in the same run)."""
        found = _scan(self.object_store, self.strategy).get(self.strategy, {})
        self._cutoffs = sorted(c for c, files in found.items() if MANIFEST in files)
        incomplete = sorted(
            c for c, files in found.items() if MANIFEST not in files and c not in self._warned
        )
        self._warned.update(incomplete)
        if incomplete:
            self.log(
                f"WARNING models.store: {', '.join(f'{self.strategy}/{c}/' for c in incomplete)} has "
                f"artifacts but no {MANIFEST} (an interrupted save) and is ignored; retrain with "
                f"`{self.command}` or remove it with models.store.clean_incomplete"
            )

    def cutoffs(self) -> list[date]:
        if self._cutoffs is None:
            self.refresh()
        assert self._cutoffs is not None
        return list(self._cutoffs)

    def as_of(self, when: date | datetime) -> LoadedModel:
        """The model with the newest cutoff strictly before ``when``'s date; loaded and verified once."""
        day = _as_date(when, "when")
        cutoff = self._cutoff_before(day)
        if cutoff is None and self._rescanned_on != day:
            self._rescanned_on = day  # models may have been saved since the last scan; rescan once per date
            self.refresh()
            cutoff = self._cutoff_before(day)
        if cutoff is None:
            raise self._not_found(day)
        model = self._loaded.get(cutoff)
        if model is None:
            model = self._load(cutoff)
            self._loaded[cutoff] = model
        return model

    def _cutoff_before(self, day: date) -> date | None:
        cutoffs = self._cutoffs if self._cutoffs is not None else self.cutoffs()
        position = bisect.bisect_left(cutoffs, day)
        return cutoffs[position - 1] if position else None

    def _not_found(self, day: date) -> ModelNotFoundError:
        cutoffs = self._cutoffs or []
        if not cutoffs:
            return ModelNotFoundError(
                f"no model timeline for {self.strategy!r} in the ObjectStore: no key matches "
                f"'{self.strategy}/<YYYY-MM-DD>/{MANIFEST}'. Train it with `{self.command}`."
            )
        return ModelNotFoundError(
            f"no model for {self.strategy!r} with a cutoff before {day}: the earliest is "
            f"'{manifest_key(self.strategy, cutoffs[0])}', and using it would look ahead. Start after "
            f"{cutoffs[0]}, or train earlier cutoffs with `{self.command}`."
        )

    def _fail(self, message: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"{message} Retrain with `{self.command}`.")

    def _load(self, cutoff: date) -> LoadedModel:
        mkey = manifest_key(self.strategy, cutoff)
        manifest = self._read_manifest(mkey)
        if manifest.get("strategy") != self.strategy or manifest.get("cutoff") != cutoff.isoformat():
            raise self._fail(
                f"{mkey!r} describes {manifest.get('strategy')!r} at {manifest.get('cutoff')!r}, "
                "not its own key; it was copied or edited."
            )
        self._check_features(mkey, manifest)
        for warning in _version_warnings(manifest, mkey):
            self.log(warning)
        prefix = f"{self.strategy}/{cutoff.isoformat()}/"
        artifacts = {}
        for name, info in manifest["artifacts"].items():
            artifacts[name] = self._load_artifact(mkey, prefix, name, info)
        return LoadedModel(self.strategy, cutoff, artifacts, manifest)

    def _read_manifest(self, mkey: str) -> dict:
        try:
            manifest = json.loads(str(self.object_store.read(mkey)))
        except Exception as exc:  # noqa: BLE001 - any unreadable manifest is an integrity failure
            raise self._fail(f"{mkey!r} cannot be read as JSON ({exc}).") from exc
        required = ("strategy", "cutoff", "feature_names", "artifacts")
        if (
            not isinstance(manifest, dict)
            or any(k not in manifest for k in required)
            or not isinstance(manifest["artifacts"], dict)
            or not manifest["artifacts"]
        ):
            raise self._fail(f"{mkey!r} is not a model manifest (it needs {', '.join(required)}).")
        return manifest

    def _check_features(self, mkey: str, manifest: dict) -> None:
        trained = list(manifest["feature_names"])
        if self.feature_names is None or trained == self.feature_names:
            return
        position = next(
            (i for i, (a, b) in enumerate(zip(trained, self.feature_names, strict=False)) if a != b),
            min(len(trained), len(self.feature_names)),
        )
        expected = trained[position] if position < len(trained) else "<end>"
        got = self.feature_names[position] if position < len(self.feature_names) else "<end>"
        raise self._fail(
            f"{mkey!r} was trained on {len(trained)} features {trained}, but the algorithm computes "
            f"{len(self.feature_names)} {self.feature_names}; first difference at position {position}: "
            f"trained {expected!r}, computed {got!r}."
        )

    def _load_artifact(self, mkey: str, prefix: str, name: str, info: Any) -> Any:
        file = info.get("file") if isinstance(info, dict) else None
        if not isinstance(file, str) or "/" in file or info.get("format") not in ("keras", "joblib"):
            raise self._fail(f"{mkey!r}: artifact {name!r} has an invalid entry {info!r}.")
        key = prefix + file
        if not self.object_store.contains_key(key):
            raise self._fail(f"artifact {key!r}, listed in {mkey!r}, is missing from the ObjectStore.")
        data = _read_bytes(self.object_store, key)
        digest = _sha256(data)
        if digest != info.get("sha256") or len(data) != info.get("bytes", len(data)):
            raise self._fail(
                f"artifact {key!r} is truncated or modified: {len(data)} bytes with sha256 "
                f"{digest[:16]}…, but {mkey!r} records {info.get('bytes')} bytes with sha256 "
                f"{str(info.get('sha256'))[:16]}…. It was not loaded."
            )
        try:
            return _deserialise(info["format"], file, data, digest, self.custom_objects, self.inference, self.log)
        except Exception as exc:  # noqa: BLE001 - name the artifact whatever the loader raised
            hint = " (pass custom_objects= for custom Keras layers)" if info["format"] == "keras" else ""
            raise self._fail(f"artifact {key!r} failed to load{hint}: {type(exc).__name__}: {exc}.") from exc


def load_as_of(
    object_store: Any,
    strategy: str,
    when: date | datetime,
    *,
    feature_names: list[str] | None = None,
    log: Callable[[str], None] = print,
    custom_objects: CustomObjects = None,
    inference: str = "keras",
) -> LoadedModel:
    """One-off :meth:`ModelTimeline.as_of`. Hashes are checked on every call; deserialised artifacts are
    reused by content hash. In an algorithm, keep a :class:`ModelTimeline` instead."""
    timeline = ModelTimeline(
        object_store, strategy, feature_names=feature_names, log=log, custom_objects=custom_objects,
        inference=inference,
    )
    return timeline.as_of(when)


# -- listing -------------------------------------------------------------------------------------------------


def _status(object_store: Any, prefix: str, manifest: dict, verify: bool) -> str:
    for name, info in manifest["artifacts"].items():
        key = prefix + str(info.get("file", name) if isinstance(info, dict) else name)
        if not object_store.contains_key(key):
            return f"missing {key}"
        if verify:
            data = _read_bytes(object_store, key)
            if _sha256(data) != info.get("sha256"):
                return f"corrupt {key}"
    return "ok" if verify else "present"


def list_timelines(object_store: Any, strategy: str | None = None, *, verify: bool = False) -> list[dict]:
    """Every timeline in the store (or ``strategy``'s), for ``qclocal models list``.

    Each item: ``strategy``, ``train_command``, ``models`` (one dict per cutoff, oldest first: ``cutoff``,
    ``key``, ``train_window``, ``validation_window``, ``metrics``, ``hyperparameters``, ``versions``,
    ``version_mismatches``, ``features``, ``artifacts``, ``created_utc``, ``status``) and ``incomplete``
    (cutoffs with artifacts but no manifest). ``status`` is ``present``, or ``ok`` when ``verify`` checked the
    hashes, or names the missing or corrupt key.
    """
    running = library_versions()
    timelines = []
    for name, cutoffs in sorted(_scan(object_store, strategy).items()):
        models, incomplete = [], []
        for cutoff in sorted(cutoffs):
            if MANIFEST not in cutoffs[cutoff]:
                incomplete.append(cutoff.isoformat())
                continue
            key = manifest_key(name, cutoff)
            entry: dict[str, Any] = {"cutoff": cutoff.isoformat(), "key": key}
            try:
                manifest = json.loads(str(object_store.read(key)))
                entry.update(
                    {
                        "train_window": manifest.get("train_window"),
                        "validation_window": manifest.get("validation_window"),
                        "metrics": manifest.get("metrics") or {},
                        "hyperparameters": manifest.get("hyperparameters") or {},
                        "versions": manifest.get("versions") or {},
                        "features": len(manifest.get("feature_names") or []),
                        "artifacts": {k: v.get("file") for k, v in manifest["artifacts"].items()},
                        "created_utc": manifest.get("created_utc"),
                    }
                )
                versions = entry["versions"] if isinstance(entry["versions"], dict) else {}
                entry["version_mismatches"] = {
                    lib: [v, running.get(lib)]
                    for lib, v in versions.items()
                    if v is not None and lib != "python" and running.get(lib) != v
                }
                entry["status"] = _status(object_store, f"{name}/{cutoff.isoformat()}/", manifest, verify)
            except Exception as exc:  # noqa: BLE001 - the listing shows broken manifests rather than stopping
                entry["status"] = f"unreadable manifest: {exc}"
            models.append(entry)
        timelines.append(
            {
                "strategy": name,
                "train_command": train_command(name),
                "models": models,
                "incomplete": incomplete,
            }
        )
    return timelines
