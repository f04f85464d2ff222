"""``PortfolioTarget`` and ``UniverseSettings``/``SecurityChanges``/``CoarseFundamental`` value types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from qclocal.engine.enums import DataNormalizationMode, Resolution
from qclocal.engine.lean_api import Fixed, lean_type


@lean_type("QuantConnect.Algorithm.Framework.Portfolio.PortfolioTarget")
@dataclass
class PortfolioTarget:
    symbol: Any
    quantity: float
    tag: str = ""

    @staticmethod
    def percent(algorithm: Any, symbol: Any, percent: float) -> PortfolioTarget:
        qty = algorithm.calculate_order_quantity(symbol, percent) + algorithm.portfolio[symbol].quantity
        return PortfolioTarget(symbol, qty)


def portfolio_target(symbol: Any, quantity: float, tag: str = "") -> PortfolioTarget:
    return PortfolioTarget(symbol, quantity, tag)


@lean_type("QuantConnect.Data.UniverseSelection.UniverseSettings")
@dataclass
class UniverseSettings:
    resolution: Resolution = Resolution.MINUTE
    fill_forward: bool = True
    extended_market_hours: bool = False
    leverage: float = 0.0
    data_normalization_mode: DataNormalizationMode = DataNormalizationMode.ADJUSTED
    minimum_time_in_universe_days: float = 1

    # not honoured: LEAN's defaults only (Common/Data/UniverseSelection/UniverseSettings.cs)
    asynchronous = Fixed(False)
    contract_depth_offset = Fixed(0)

    @property
    def minimum_time_in_universe(self) -> timedelta:
        return timedelta(days=self.minimum_time_in_universe_days)

    @minimum_time_in_universe.setter
    def minimum_time_in_universe(self, value: timedelta) -> None:
        self.minimum_time_in_universe_days = value / timedelta(days=1)


@lean_type("QuantConnect.Data.UniverseSelection.SecurityChanges")
@dataclass
class SecurityChanges:
    added_securities: list[Any] = field(default_factory=list)
    removed_securities: list[Any] = field(default_factory=list)

    def __repr__(self) -> str:
        add = ", ".join(str(s.symbol) for s in self.added_securities)
        rem = ", ".join(str(s.symbol) for s in self.removed_securities)
        return f"SecurityChanges: Added: {add} Removed: {rem}"


@lean_type("QuantConnect.Data.UniverseSelection.CoarseFundamental")
class CoarseFundamental:
    __slots__ = ("symbol", "price", "value", "volume", "dollar_volume", "has_fundamental_data",
                 "price_factor", "split_factor", "end_time")

    def __init__(self, symbol: Any, price: float, volume: float, dollar_volume: float, has_fundamental_data: bool,
                 price_factor: float, split_factor: float, end_time: Any):
        self.symbol, self.price, self.value, self.volume = symbol, price, price, volume
        self.dollar_volume, self.has_fundamental_data = dollar_volume, has_fundamental_data
        self.price_factor, self.split_factor, self.end_time = price_factor, split_factor, end_time

    @property
    def adjusted_price(self) -> float:
        return self.price * self.price_factor * self.split_factor

    def __repr__(self) -> str:
        return f"CoarseFundamental({self.symbol}, {self.price}, {self.dollar_volume})"
