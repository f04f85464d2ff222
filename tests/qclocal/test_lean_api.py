"""No silent gaps: every member and name the installed quantconnect-stubs list for LEAN either works in qclocal
or raises NotImplementedError naming it; settings qclocal does not honour refuse anything but LEAN's default.

The member lists are read from the stubs at test time (qclocal.engine.lean_api), never copied into the repo.
"""

from __future__ import annotations

import re
import types
from datetime import timedelta
from pathlib import Path

import pytest

from qclocal import algorithm_imports
from qclocal.api_coverage import coverage_table, live_objects, markdown
from qclocal.engine import lean_api
from qclocal.engine.algorithm import QCAlgorithm
from qclocal.engine.enums import Market
from qclocal.engine.lean_api import LEAN_TYPES, algorithm_imports_names, stub_type, stubs_root
from qclocal.engine.orders import OrderProperties, TimeInForce
from qclocal.engine.symbols import Symbol

DOC = Path(__file__).resolve().parents[2] / "docs" / "qclocal.md"


@pytest.fixture(scope="module")
def objects():
    return live_objects()


@pytest.fixture(scope="module")
def rows(objects):
    return coverage_table(objects)


def test_the_stubs_are_installed_and_know_every_type_qclocal_stands_for():
    assert stubs_root() is not None, "quantconnect-stubs is a dependency of qclocal (make setup)"
    unknown = [name for name in LEAN_TYPES.values() if stub_type(name) is None]
    assert not unknown


def test_every_stub_member_either_works_or_raises_naming_it(rows):
    errors = [f"{row.lean_type}.{error}" for row in rows for error in row.errors]
    assert not errors, "\n".join(errors)
    # the core classes the issue names are all surveyed, with real members on each side
    surveyed = {row.lean_type: row for row in rows}
    for name in ("Algorithm.QCAlgorithm", "Data.Slice", "Securities.Security", "Securities.SecurityHolding",
                 "Securities.SecurityPortfolioManager", "Securities.SecurityTransactionManager", "Orders.OrderTicket",
                 "Orders.Order", "Orders.OrderEvent", "Scheduling.DateRules", "Scheduling.TimeRules",
                 "Storage.ObjectStore", "AlgorithmSettings", "Data.UniverseSelection.UniverseSettings",
                 "Indicators.SimpleMovingAverage"):
        row = surveyed[f"QuantConnect.{name}"]
        assert row.implemented and row.raising, name


def test_missing_members_raise_on_access_and_so_on_call(objects):
    algo = objects[next(c for c in objects if c.__name__ == "Probe")]
    with pytest.raises(NotImplementedError, match=r"QCAlgorithm\.add_option is not implemented"):
        algo.add_option("SPY")
    with pytest.raises(NotImplementedError, match=r"QCAlgorithm\.SetHoldings .*use set_holdings"):
        algo.SetHoldings("SPY", 1)
    with pytest.raises(NotImplementedError, match=r"Market\.FXCM"):
        Market.FXCM  # noqa: B018
    # a name LEAN does not have is Python's AttributeError, and hasattr works for it
    assert not hasattr(algo, "no_such_member")
    # a LEAN member is never passed over by getattr's default
    with pytest.raises(NotImplementedError):
        getattr(algo.securities["SPY"], "margin_model", None)


def test_setting_a_missing_writable_member_raises(objects):
    failures = []
    for cls, obj in objects.items():
        found = next((LEAN_TYPES[k] for k in cls.__mro__ if k in LEAN_TYPES), None) if isinstance(cls, type) else None
        if found is None or isinstance(obj, type) or cls.__setattr__ is not lean_api._setattr:
            continue  # hot-path classes keep Python's setattr (see lean_api.lean_type)
        for name in sorted(stub_type(found).settable):
            try:
                getattr(obj, name)
                continue  # implemented
            except NotImplementedError:
                pass
            try:
                setattr(obj, name, object())
            except NotImplementedError as error:
                if name not in str(error):
                    failures.append(f"{found}.{name}: {error}")
            except Exception as error:  # noqa: BLE001
                failures.append(f"{found}.{name}: {type(error).__name__}: {error}")
            else:
                failures.append(f"{found}.{name}: set silently")
    assert not failures, "\n".join(failures)


def test_every_algorithm_imports_name_resolves_and_stand_ins_raise_on_use():
    lean = algorithm_imports_names()
    assert {"QCAlgorithm", "Resolution", "AlphaModel", "InsightDirection", "TimeInForce", "np", "Optional",
            "QCAlgorithmFramework"} <= lean and len(lean) > 1000
    with algorithm_imports.installed():
        namespace: dict = {}
        exec("from AlgorithmImports import *", namespace)
    missing = sorted(lean - set(namespace))
    assert not missing, missing[:20]
    # stand-ins: instantiating, subclassing, reading an attribute and indexing all raise, naming the type
    alpha = namespace["AlphaModel"]
    for use in (lambda: alpha(), lambda: type("Mine", (alpha,), {}), lambda: alpha.foo, lambda: alpha[int]):
        with pytest.raises(NotImplementedError, match="AlphaModel .*not implemented in qclocal"):
            use()
    assert namespace["QCAlgorithm"] is QCAlgorithm and namespace["Optional"] is __import__("typing").Optional


@pytest.fixture
def algo() -> QCAlgorithm:
    return QCAlgorithm()


@pytest.mark.parametrize("owner, name, other", [
    ("settings", "daily_precise_end_time", False),
    ("settings", "stale_price_time_span", timedelta(minutes=5)),
    ("settings", "automatic_indicator_warm_up", True),
    ("settings", "trading_days_per_year", 365),
    ("universe_settings", "asynchronous", True),
    ("default_order_properties", "time_in_force", "DAY"),
])
def test_unhonoured_settings_accept_only_lean_default(algo, owner, name, other):
    target = getattr(algo, owner)
    default = getattr(target, name)
    setattr(target, name, default)  # LEAN's default: how qclocal behaves
    with pytest.raises(NotImplementedError, match=re.escape(name)):
        setattr(target, name, other)


def test_unhonoured_settings_without_a_known_default_raise_on_any_use(algo):
    with pytest.raises(NotImplementedError, match="seed_initial_prices"):
        algo.settings.seed_initial_prices = False
    with pytest.raises(NotImplementedError, match="data_mapping_mode"):
        algo.universe_settings.data_mapping_mode  # noqa: B018


def test_honoured_settings_keep_working(algo):
    algo.settings.free_portfolio_value_percentage = 0.01
    algo.settings.minimum_order_margin_portfolio_percentage = 0
    algo.settings.warmup_resolution = None
    algo.universe_settings.leverage = 2.0
    algo.universe_settings.minimum_time_in_universe = timedelta(days=3)
    assert algo.universe_settings.minimum_time_in_universe_days == 3
    assert algo.settings.free_portfolio_value_percentage == 0.01


def test_market_argument_other_than_usa_raises(algo):
    with pytest.raises(NotImplementedError, match="market='fxcm'"):
        algo.add_equity("SPY", market="fxcm")
    with pytest.raises(NotImplementedError, match="market"):
        Symbol.create("EURUSD", market="oanda")
    with pytest.raises(NotImplementedError, match="leverage"):
        algo.add_data(object, "X", leverage=2.0)


def test_time_in_force_and_order_properties_other_than_default_raise(algo):
    with pytest.raises(NotImplementedError, match=r"TimeInForce\.DAY"):
        TimeInForce.DAY  # noqa: B018
    with pytest.raises(NotImplementedError, match="order_properties"):
        algo.limit_order("SPY", 1, 10.0, order_properties=types.SimpleNamespace(time_in_force=None))
    assert OrderProperties().time_in_force is TimeInForce.GOOD_TIL_CANCELED


def test_docs_table_is_current(rows):
    text = DOC.read_text(encoding="utf-8")
    assert markdown(rows) in text, "regenerate the table: .venv/bin/python -m qclocal.api_coverage"


def test_history_options_qclocal_does_not_honour_raise(algo):
    with pytest.raises(NotImplementedError, match="extended_market_hours=True"):
        algo.history("SPY", 10, extended_market_hours=True)


def test_every_class_algorithm_imports_exposes_is_surveyed(rows):
    surveyed = {row.lean_type for row in rows}
    module = algorithm_imports.build()
    unregistered = []
    for name in module.__dict__:
        obj = module.__dict__[name]
        if isinstance(obj, type) and obj.__module__.startswith("qclocal"):
            found = next((LEAN_TYPES[k] for k in obj.__mro__ if k in LEAN_TYPES), None)
            if found not in surveyed:
                unregistered.append(name)
    assert not unregistered


def test_lean_typed_classes_have_no_getattr_so_attribute_loads_stay_specialised():
    # a __getattr__ anywhere in the MRO costs every attribute read CPython's specialised path
    with_hook = [cls.__name__ for cls in LEAN_TYPES if not isinstance(cls, lean_api.LeanConstants)
                 and any("__getattr__" in klass.__dict__ for klass in cls.__mro__)]
    assert not with_hook
    # an instance attribute still wins over the placeholder of a LEAN member of the same name
    algo = QCAlgorithm()
    algo.add_option = "mine"  # a LEAN method, not a settable property: Python's own setattr
    assert algo.add_option == "mine"
    assert not hasattr(QCAlgorithm, "add_option")  # on the class the placeholder is absent


def test_stub_lists_are_cached_per_module_and_a_bad_cache_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("QCLOCAL_CACHE", str(tmp_path))
    module = "QuantConnect.Orders"
    parsed = lean_api._parse_stub(lean_api._stub_file(module))
    lean_api._module_types.cache_clear()
    try:
        assert lean_api._module_types(module) == parsed
        cached = lean_api._cache_file(module)
        assert cached.is_file() and cached.parent.parent == tmp_path
        lean_api._module_types.cache_clear()
        assert lean_api._module_types(module) == parsed  # read back from the file
        cached.write_text('{"Order": [["half', encoding="utf-8")  # a torn write
        lean_api._module_types.cache_clear()
        assert lean_api._module_types(module) == parsed
        assert sorted(p.name for p in cached.parent.iterdir()) == [cached.name]  # no temporary file left
        names = lean_api._algorithm_imports_names(lean_api._stub_file("AlgorithmImports"))
        lean_api.algorithm_imports_names.cache_clear()
        assert lean_api.algorithm_imports_names() == names
        assert lean_api._cache_file("AlgorithmImports.names").is_file()
    finally:
        lean_api._module_types.cache_clear()
        lean_api.algorithm_imports_names.cache_clear()
