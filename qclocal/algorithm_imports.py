"""The ``AlgorithmImports`` module that qclocal provides while it runs an algorithm or notebook.

It is built in memory and installed in ``sys.modules``; no file of that name is ever put on the path, so it
cannot shadow LEAN's own module. Like LEAN's, it also exposes the usual scientific imports.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator


def build() -> types.ModuleType:
    import datetime as _dt
    import json
    import math
    import typing

    import numpy as np
    import pandas as pd

    from qclocal import indicators
    from qclocal.engine import custom_data, data_types, enums, orders, portfolio_target, symbols, transactions
    from qclocal.engine.algorithm import QCAlgorithm
    from qclocal.engine.runner import MarginInterestRateParameters
    from qclocal.engine.securities import Security

    module = types.ModuleType("AlgorithmImports", "qclocal's stand-in for LEAN's AlgorithmImports")
    names: dict[str, object] = {
        "QCAlgorithm": QCAlgorithm, "Security": Security,
        "np": np, "pd": pd, "math": math, "json": json,
        "datetime": _dt.datetime, "timedelta": _dt.timedelta, "date": _dt.date, "time": _dt.time,
        "List": typing.List, "Dict": typing.Dict, "Optional": typing.Optional, "Union": typing.Union,  # noqa: UP006
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
        "MarginInterestRateParameters": MarginInterestRateParameters,
    }
    for enum_name in ("Resolution", "SecurityType", "Market", "DataNormalizationMode", "OrderType", "OrderStatus",
                      "OrderDirection", "OrderField"):
        names[enum_name] = getattr(enums, enum_name)
    for name in indicators.__all__:
        names[name] = getattr(indicators, name)
    module.__dict__.update(names)
    module.__all__ = sorted(names)  # type: ignore[attr-defined]

    def __getattr__(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError(f"AlgorithmImports.{name} is not implemented in qclocal (it exists in LEAN); "
                                  f"run this algorithm with `lean backtest` or extend qclocal")
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
