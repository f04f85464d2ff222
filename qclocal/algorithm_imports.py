"""The ``AlgorithmImports`` module that qclocal provides while it runs an algorithm or notebook.

It is built in memory and installed in ``sys.modules``; no file of that name is ever put on the path, so it
cannot shadow LEAN's own module. Like LEAN's, it also exposes the usual scientific imports.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from collections.abc import Iterator


class _LazyModule(types.ModuleType):
    """A module imported on first use (``plt``: pyplot is slow to import and most algorithms never plot)."""

    def __getattr__(self, name: str) -> object:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, name)


def build() -> types.ModuleType:
    import datetime as _dt
    import json
    import math
    import typing

    import numpy as np
    import pandas as pd

    from qclocal import indicators
    from qclocal.engine import (
        corporate,
        custom_data,
        data_types,
        enums,
        lean_api,
        margin,
        orders,
        portfolio_target,
        symbols,
        transactions,
    )
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.runner import MarginInterestRateParameters
    from qclocal.engine.securities import Security

    module = types.ModuleType("AlgorithmImports", "qclocal's stand-in for LEAN's AlgorithmImports")
    names: dict[str, object] = {
        "QCAlgorithm": QCAlgorithm, "Security": Security,
        "np": np, "pd": pd, "plt": _LazyModule("matplotlib.pyplot"), "math": math, "json": json,
        "datetime": _dt.datetime, "timedelta": _dt.timedelta, "date": _dt.date, "time": _dt.time,
        "Symbol": symbols.Symbol,
        "TradeBar": data_types.TradeBar, "QuoteBar": data_types.QuoteBar, "Slice": data_types.Slice,
        "BaseData": data_types.BaseData, "PythonData": custom_data.PythonData, "Fred": custom_data.Fred,
        "PortfolioTarget": portfolio_target.PortfolioTarget, "UniverseSettings": portfolio_target.UniverseSettings,
        "CoarseFundamental": portfolio_target.CoarseFundamental,
        "SecurityChanges": portfolio_target.SecurityChanges,
        "MarketOnCloseOrder": transactions.MarketOnCloseOrder,
        "OrderEvent": orders.OrderEvent, "OrderTicket": orders.OrderTicket,
        "FeeModel": orders.FeeModel, "OrderFeeParameters": orders.OrderFeeParameters,
        "InteractiveBrokersFeeModel": orders.InteractiveBrokersFeeModel,
        "ConstantFeeModel": orders.ConstantFeeModel,
        "ConstantSlippageModel": orders.ConstantSlippageModel,
        "VolumeShareSlippageModel": orders.VolumeShareSlippageModel,
        "NullSlippageModel": orders.NullSlippageModel,
        "OrderFee": orders.OrderFee, "CashAmount": orders.CashAmount,
        "OrderProperties": orders.OrderProperties, "TimeInForce": orders.TimeInForce,
        "Exception": Exception, "QCAlgorithmFramework": QCAlgorithm, "QCAlgorithmFrameworkBridge": QCAlgorithm,
        "MarginInterestRateParameters": MarginInterestRateParameters,
        "Split": corporate.Split, "Dividend": corporate.Dividend, "Delisting": corporate.Delisting,
        "SymbolChangedEvent": corporate.SymbolChangedEvent, "SplitType": corporate.SplitType,
        "DelistingType": corporate.DelistingType,
        "SubmitOrderRequest": orders.SubmitOrderRequest, "DefaultMarginCallModel": margin.DefaultMarginCallModel,
        "MarginCallModel": margin.MarginCallModel,
    }
    for enum_name in ("Resolution", "SecurityType", "Market", "DataNormalizationMode", "OrderType", "OrderStatus",
                      "OrderDirection", "OrderField"):
        names[enum_name] = getattr(enums, enum_name)
    for name in indicators.__all__:
        names[name] = getattr(indicators, name)
    for name in typing.__all__:  # LEAN's AlgorithmImports does `from typing import *`
        names.setdefault(name, getattr(typing, name))
    lean_names = lean_api.algorithm_imports_names()
    if lean_names:  # offer nothing LEAN's AlgorithmImports lacks (an algorithm must run in both)
        names = {name: value for name, value in names.items() if name in lean_names}
    module.__dict__.update(names)
    # every name LEAN gives resolves; those outside qclocal's subset to a stand-in that raises on use
    module.__all__ = sorted(set(names) | lean_names)  # type: ignore[attr-defined]

    def __getattr__(name: str) -> object:
        if name.startswith("__") or (lean_names and name not in lean_names):
            raise AttributeError(f"module 'AlgorithmImports' has no attribute '{name}'")
        module.__dict__[name] = lean_api.absent(name)
        return module.__dict__[name]
    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    return module


@contextlib.contextmanager
def installed() -> Iterator[types.ModuleType]:
    """Install ``AlgorithmImports`` in ``sys.modules`` for the duration of a run."""
    previous = sys.modules.get("AlgorithmImports")
    module = build()
    sys.modules["AlgorithmImports"] = module
    try:
        yield module
    finally:
        if previous is None:
            sys.modules.pop("AlgorithmImports", None)
        else:
            sys.modules["AlgorithmImports"] = previous
