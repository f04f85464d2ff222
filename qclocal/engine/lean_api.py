"""qclocal's contract with LEAN's Python API: every member LEAN has either works as in LEAN or raises.

The installed ``quantconnect-stubs`` package (LEAN's own generated stubs, pinned with the environment) is the list
of what LEAN has. A qclocal class names the LEAN type it stands for with ``@lean_type("QuantConnect....")``; then

- reading a member that the stubs list for that type (or its QuantConnect base types) and qclocal lacks raises
  ``NotImplementedError`` naming it; any other missing name is a plain ``AttributeError``, as in Python;
- setting a writable LEAN property that qclocal does not implement raises ``NotImplementedError``;
- a setting qclocal does not honour is a ``Fixed`` attribute: it reads as LEAN's default, which is how qclocal
  behaves, and setting it to anything else raises.

``algorithm_imports_names()`` is the list of names ``from AlgorithmImports import *`` gives in LEAN; qclocal's
AlgorithmImports resolves the ones outside its subset to ``absent(name)``, a type whose every use raises.

Each LEAN member a class lacks gets a raising placeholder (``_Missing``) on the class, not a ``__getattr__``: on
CPython 3.11 a class with ``__getattr__`` loses the interpreter's specialised attribute loads, which costs every
``self.x`` on the hot path. The member lists parsed from the stubs are kept in qclocal's cache (``qclocal.cache``),
one file per stub module and stubs version, so start-up does not parse the stubs again.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import EnumType
from importlib import metadata
from pathlib import Path
from typing import Any

from qclocal.cache import cache_folder, write_atomically
from qclocal.engine.errors import NotInQCLocal, missing_member

STUBS_DISTRIBUTION = "quantconnect-stubs"

# qclocal class -> the LEAN type it stands for (fully qualified, as in the stubs)
LEAN_TYPES: dict[type, str] = {}


# -- reading the stubs --------------------------------------------------------------------------------------
@functools.cache
def _stubs() -> tuple[Path, str] | None:
    try:
        dist = metadata.distribution(STUBS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    root = Path(str(dist.locate_file("")))
    return (root, dist.version) if (root / "QuantConnect" / "__init__.pyi").is_file() else None


def stubs_root() -> Path | None:
    """The site-packages folder holding the stubs' ``QuantConnect/`` package, or None when they are absent."""
    found = _stubs()
    return None if found is None else found[0]


def _stub_file(module: str) -> Path | None:
    root = stubs_root()
    if root is None:
        return None
    path = root.joinpath(*module.split("."), "__init__.pyi")
    return path if path.is_file() else None


@dataclass(frozen=True)
class StubType:
    """The public members of one LEAN type, with its own bases, as one stub module declares them."""
    members: frozenset[str]
    settable: frozenset[str]  # properties with a setter, and fields
    bases: tuple[str, ...]


def _cache_file(key: str) -> Path:
    found = _stubs()
    assert found is not None
    return cache_folder() / f"{STUBS_DISTRIBUTION}-{found[1]}" / f"{key}.json"


def _cached(key: str, compute: Callable[[], Any], load: Callable[[Any], Any]) -> Any:
    """``load(compute())``, with ``compute()``'s JSON kept in qclocal's cache per stubs version under ``key``;
    an absent or unreadable file is computed again."""
    path = _cache_file(key)
    try:
        return load(json.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    document = compute()
    write_atomically(path, lambda fh: fh.write(json.dumps(document).encode()))
    return load(document)


@functools.cache
def _module_types(module: str) -> dict[str, StubType]:
    path = _stub_file(module)
    if path is None:
        return {}
    return _cached(module,
                   lambda: {name: [sorted(t.members), sorted(t.settable), list(t.bases)]
                            for name, t in _parse_stub(path).items()},
                   lambda document: {name: StubType(frozenset(members), frozenset(settable), tuple(bases))
                                     for name, (members, settable, bases) in document.items()})


def _parse_stub(path: Path) -> dict[str, StubType]:
    types: dict[str, StubType] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.ClassDef):
            continue
        members: set[str] = set()
        settable: set[str] = set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.ClassDef):
                members.add(item.name)
                if any(isinstance(d, ast.Attribute) and d.attr == "setter"
                       for d in getattr(item, "decorator_list", [])):
                    settable.add(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                members.add(item.target.id)
                if not item.target.id.isupper():  # UPPER_CASE fields are LEAN's constants
                    settable.add(item.target.id)
            elif isinstance(item, ast.Assign):
                members.update(t.id for t in item.targets if isinstance(t, ast.Name))
        bases = tuple(ast.unparse(b).split("[", 1)[0] for b in node.bases)
        types[node.name] = StubType(frozenset(m for m in members if not m.startswith("_")),
                                    frozenset(s for s in settable if not s.startswith("_")), bases)
    return types


@functools.cache
def stub_type(qualname: str) -> StubType | None:
    """A LEAN type's public members, including those of its QuantConnect base types (not System's)."""
    module, _, name = qualname.rpartition(".")
    own = _module_types(module).get(name)
    if own is None:
        return None
    members, settable = set(own.members), set(own.settable)
    for base in own.bases:
        if base.startswith("QuantConnect.") and (inherited := stub_type(base)) is not None:
            members |= inherited.members
            settable |= inherited.settable
    return StubType(frozenset(members), frozenset(settable), own.bases)


_STAR_IMPORT = re.compile(r"^from ([\w.]+) import\s+\*", re.M)
_TOP_LEVEL = re.compile(r"^(?:class|def) ([A-Za-z]\w*)|^([A-Za-z]\w*) *(?::[^=\n]*)?= *(?!typing\.TypeVar)", re.M)
_EXPLICIT = ("np", "pd", "plt", "date", "time", "datetime", "timedelta", "math", "json", "Exception",
             "QCAlgorithmFramework", "QCAlgorithmFrameworkBridge")


@functools.cache
def algorithm_imports_names() -> frozenset[str]:
    """Every name ``from AlgorithmImports import *`` gives in LEAN, read from the AlgorithmImports stub."""
    path = _stub_file("AlgorithmImports")
    if path is None:
        return frozenset()
    return _cached("AlgorithmImports.names", lambda: sorted(_algorithm_imports_names(path)), frozenset)


def _algorithm_imports_names(path: Path) -> set[str]:
    names: set[str] = set(_EXPLICIT)
    for module in _STAR_IMPORT.findall(path.read_text(encoding="utf-8")):
        if module == "typing":
            names.update(typing.__all__)
        elif (stub := _stub_file(module)) is not None:
            names.update(a or b for a, b in _TOP_LEVEL.findall(stub.read_text(encoding="utf-8")))
    return {n for n in names if not n.startswith("_")}


# -- the fallback every LEAN-typed class gets ---------------------------------------------------------------
def lean_name(cls: type) -> tuple[str, str] | None:
    """(LEAN type name, LEAN qualified name) of the nearest registered class in ``cls``'s MRO."""
    for klass in cls.__mro__:
        if klass in LEAN_TYPES:
            return LEAN_TYPES[klass].rpartition(".")[2], LEAN_TYPES[klass]
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


def missing(cls: type, name: str) -> Exception:
    """The error for reading ``name`` on ``cls`` or its instances: NotImplementedError if LEAN has it."""
    found = lean_name(cls)
    if name.startswith("_") or found is None:
        return AttributeError(f"'{cls.__name__}' object has no attribute '{name}'")
    owner, qualname = found
    known = stub_type(qualname)
    if known is None:  # stubs not installed: assume LEAN has it, never pass silently
        return missing_member(owner, name)
    if name in known.members:
        return missing_member(owner, name)
    if name[:1].isupper() and _snake(name) in known.members:
        error = missing_member(owner, name)
        error.args = (f"{error.args[0]}; qclocal has only the snake_case API: use {_snake(name)}",)
        return error
    return AttributeError(f"'{cls.__name__}' object has no attribute '{name}'")


class _Missing:
    """A LEAN member the class lacks (or its PascalCase spelling): reading it on an instance raises ``missing``.

    A non-data descriptor, so an instance attribute of that name still wins; on the class itself it is absent."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(f"type object '{getattr(owner, '__name__', owner)}' has no attribute '{self.name}'")
        raise missing(type(obj), self.name)


_NOTHING = object()


def _class_attr(cls: type, name: str) -> Any:
    """``name`` as the class defines it (no descriptor call, no metaclass fallback), or ``_NOTHING``."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            defined = klass.__dict__[name]
            return _NOTHING if isinstance(defined, _Missing) else defined
    return _NOTHING


def _pascal(name: str) -> str | None:
    """``set_holdings`` -> ``SetHoldings`` (the C# spelling), when that maps back to ``name``."""
    pascal = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
    return pascal if pascal != name and _snake(pascal) == name else None


def _install_missing(cls: type, qualname: str) -> None:
    """A ``_Missing`` on ``cls`` for every LEAN member it lacks, and for the PascalCase spelling of every member."""
    known = stub_type(qualname)
    if known is None:  # stubs not installed: check every failed read instead (slower, never silent)
        cls.__getattr__ = _getattr  # type: ignore[attr-defined]
        return
    for member in known.members:
        for name in (member, _pascal(member)):
            if name is not None and _class_attr(cls, name) is _NOTHING:
                setattr(cls, name, _Missing(name))


def _getattr(self: Any, name: str) -> Any:
    if _class_attr(type(self), name) is not _NOTHING:  # implemented; an AttributeError escaped from its code
        raise AttributeError(f"{type(self).__name__}.{name} failed with an AttributeError inside qclocal")
    raise missing(type(self), name)


def _setattr(self: Any, name: str, value: Any) -> None:
    state = self.__dict__
    if name[0] != "_" and name not in state and state.get("_lean_depth") == 0:
        defined = _class_attr(type(self), name)
        if defined is _NOTHING or (isinstance(defined, property) and defined.fset is None):
            found = lean_name(type(self))
            known = stub_type(found[1]) if found else None
            if found and (known is None or name in known.settable):
                raise NotInQCLocal(f"setting {found[0]}.{name} is not implemented in qclocal (it exists in LEAN); "
                                   f"run this algorithm with `lean backtest` or extend qclocal")
    object.__setattr__(self, name, value)


def lean_type(qualname: str, guard_setting: bool = True) -> Callable[[type], type]:
    """Class decorator: the class stands for LEAN's ``qualname``; missing LEAN members raise, naming themselves.

    Setting a writable LEAN property the class lacks raises too, once the outermost ``__init__`` has returned
    (``_lean_depth`` counts nested constructors, so subclasses may still set up their own state). Classes on the
    hot data path keep Python's own ``__setattr__`` (the guard costs ~50% of an indicator update): those with
    ``__slots__`` (bars, data points, Symbol, orders, order events and fees) and those registered with
    ``guard_setting=False`` (indicators).
    Setting a member they lack is an ``AttributeError``."""
    def decorate(cls: type) -> type:
        LEAN_TYPES[cls] = qualname
        if isinstance(cls, LeanConstants):  # an enum or constant holder: its members are class attributes
            return cls
        _install_missing(cls, qualname)
        if guard_setting and not hasattr(cls, "__slots__") and "__setattr__" not in cls.__dict__:
            cls.__setattr__ = _setattr  # type: ignore[assignment]
            init = cls.__init__

            @functools.wraps(init)
            def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
                depth = self.__dict__.get("_lean_depth", 0)
                object.__setattr__(self, "_lean_depth", depth + 1)
                try:
                    init(self, *args, **kwargs)
                finally:
                    object.__setattr__(self, "_lean_depth", depth)
            cls.__init__ = __init__  # type: ignore[misc]
        return cls
    return decorate


class LeanConstants(type):
    """Metaclass for LEAN's enums and constant holders: a missing constant raises like a missing member."""

    def __getattr__(cls, name: str) -> Any:
        raise missing(cls, name)


class LeanEnum(LeanConstants, EnumType):
    """``LeanConstants`` for Python enums."""


# -- settings qclocal does not honour -----------------------------------------------------------------------
class Fixed:
    """A LEAN setting qclocal does not honour. It reads as LEAN's default, which is how qclocal behaves;
    setting it to any other value raises ``NotImplementedError`` naming the setting and the value."""

    def __init__(self, default: Any):
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner.__name__, name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else self.default

    def __set__(self, obj: Any, value: Any) -> None:
        if value != self.default:
            raise NotInQCLocal(f"{self.owner}.{self.name} = {value!r}: qclocal only runs with LEAN's default "
                               f"{self.default!r}; run this algorithm with `lean backtest` or extend qclocal")


def check_default(owner: str, name: str, value: Any, default: Any) -> None:
    """An argument qclocal does not honour must be left at LEAN's default."""
    if value != default:
        raise NotInQCLocal(f"{owner}({name}={value!r}) is not implemented in qclocal, which only runs with "
                           f"{name}={default!r}; run this algorithm with `lean backtest` or extend qclocal")


# -- names outside the subset -------------------------------------------------------------------------------
class _Absent(type):
    """The type of a LEAN name qclocal does not implement: calling, subclassing or reading it raises."""

    def _fail(cls, *_: Any, **__: Any) -> Any:
        raise NotInQCLocal(f"{cls.__name__} (from AlgorithmImports) is not implemented in qclocal (it exists in "
                           f"LEAN); run this algorithm with `lean backtest` or extend qclocal")

    __call__ = __getitem__ = __iter__ = _fail

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        cls._fail()


def absent(name: str) -> type:
    """A stand-in for LEAN's ``name`` that raises ``NotImplementedError`` on any use."""
    def refuse(sub: type, **_: Any) -> None:
        _Absent._fail(placeholder)
    placeholder = _Absent(name, (), {"__init_subclass__": classmethod(refuse), "__module__": "AlgorithmImports"})
    return placeholder
