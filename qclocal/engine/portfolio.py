"""The portfolio: cash, holdings, fills, LEAN's trade records and margin (SecurityMarginModel)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from qclocal.engine.data_types import DataDictionary
from qclocal.engine.enums import DataNormalizationMode
from qclocal.engine.lean_api import lean_type
from qclocal.engine.margin import DefaultMarginCallModel, check_margin_call_model
from qclocal.engine.securities import HoldingsTotals, Security, SecurityHolding, SecurityManager
from qclocal.engine.symbols import Symbol


@lean_type("QuantConnect.Securities.Cash")
class Cash:
    """The account currency in the cash book (``portfolio.cash_book["USD"]``, ``security.quote_currency``)."""

    def __init__(self, portfolio: Portfolio, symbol: str = "USD"):
        self._portfolio = portfolio
        self.symbol = symbol
        self.conversion_rate = 1.0

    @property
    def amount(self) -> float:
        return self._portfolio.cash

    def add_amount(self, amount: float) -> float:
        self._portfolio.cash += float(amount)
        return self._portfolio.cash

    def set_amount(self, amount: float) -> None:
        self._portfolio.cash = float(amount)


@lean_type("QuantConnect.Securities.SecurityPortfolioManager")
class Portfolio(DataDictionary):
    """``self.portfolio``: holdings keyed by Symbol (or ticker), plus account-level figures."""

    def __init__(self, securities: SecurityManager):
        super().__init__()
        self._securities = securities
        self.cash = 100_000.0
        self.total_fees = 0.0
        self.total_sale_volume = 0.0     # absolute traded value, buys and sells (LEAN's TotalSaleVolume)
        self.trade_records: list[tuple[datetime, float]] = []   # (time, pnl - 2 x closing fee)
        self.cash_book = {"USD": Cash(self)}
        self.transactions: Any = None    # the algorithm's Transactions (LEAN's Portfolio.Transactions)
        self._margin_call_model: Any = DefaultMarginCallModel(self)
        self.totals = HoldingsTotals()   # shared with the securities' caches (QCAlgorithm._add_security)

    @property
    def securities(self) -> SecurityManager:
        return self._securities

    @property
    def margin_call_model(self) -> Any:
        return self._margin_call_model

    @margin_call_model.setter
    def margin_call_model(self, model: Any) -> None:
        self._margin_call_model = check_margin_call_model(model)

    def set_margin_call_model(self, model: Any) -> None:
        self.margin_call_model = model

    def held_securities(self) -> list[Security]:
        """Securities with a position, in the order they were added (LEAN's position groups)."""
        return [s for s in self._securities.values() if s.holdings.quantity != 0]

    def __getitem__(self, key: Any) -> SecurityHolding:
        if type(key) is Symbol:   # the hot path (portfolio[symbol] per bar): a plain dict look-up
            security = dict.get(self._securities, key)
            if security is not None:
                return security.holdings
        return self._securities[key].holdings

    def __contains__(self, key: object) -> bool:
        return key in self._securities

    def keys(self):  # type: ignore[override]
        return self._securities.keys()

    def values(self):  # type: ignore[override]
        return [s.holdings for s in self._securities.values()]

    def items(self):  # type: ignore[override]
        return [(k, s.holdings) for k, s in self._securities.items()]

    def __iter__(self):
        return iter(self._securities.keys())

    def __len__(self) -> int:
        return len(self._securities)

    def set_cash(self, cash: float) -> None:
        self.cash = float(cash)

    # -- valuation ------------------------------------------------------------------------------------
    def _valid_totals(self, exact: bool = True) -> HoldingsTotals:
        totals = self.totals
        if not totals.valid or (exact and not totals.exact):
            held = [s for s in self._securities.values() if s.holdings.quantity]
            totals.holdings_value = sum(s.holdings.quantity * s.price for s in held)
            totals.margin_used = sum(abs(s.holdings.quantity * s.price) / s.leverage for s in held)
            totals.valid = totals.exact = True
        return totals

    @property
    def total_holdings_value(self) -> float:
        return self._valid_totals().holdings_value

    @property
    def total_absolute_holdings_cost(self) -> float:
        return sum(abs(s.holdings.quantity * s.holdings.average_price) for s in self._securities.values())

    @property
    def total_portfolio_value(self) -> float:
        return self.cash + self.total_holdings_value

    @property
    def invested(self) -> bool:
        return any(s.holdings.quantity != 0 for s in self._securities.values())

    @property
    def total_unrealized_profit(self) -> float:
        return sum(s.holdings.unrealized_profit for s in self._securities.values())

    @property
    def total_profit(self) -> float:
        return sum(s.holdings.profit for s in self._securities.values())

    @property
    def total_net_profit(self) -> float:
        return self.total_profit

    @property
    def total_margin_used(self) -> float:
        return self._valid_totals().margin_used

    @property
    def margin_remaining(self) -> float:
        return self.total_portfolio_value - self.total_margin_used

    def has_buying_power(self, security: Security, quantity: float, price: float, fee: float) -> bool:
        """Initial-margin check at fill time: the margin used after the fill must fit the portfolio value."""
        q0 = security.holdings.quantity
        q1 = q0 + quantity
        if abs(q1) <= abs(q0) and q0 * q1 >= 0:
            return True  # reduces a position
        totals = self._valid_totals(exact=False)
        used_other = totals.margin_used - abs(q0 * security.price) / security.leverage
        after = used_other + abs(q1 * price) / security.leverage
        return after <= self.cash + totals.holdings_value - fee + 1e-9

    # -- fills ----------------------------------------------------------------------------------------
    def apply_fill(self, security: Security, quantity: float, price: float, fee: float, time: datetime) -> None:
        h = security.holdings
        q0 = h.quantity
        q1 = q0 + quantity
        totals = self.totals
        if totals.valid:  # this position's change only, for the next fill's buying-power check
            mark = security.price
            totals.holdings_value += (q1 - q0) * mark
            totals.margin_used += (abs(q1 * mark) - abs(q0 * mark)) / security.leverage
            totals.exact = False
        self.cash -= quantity * price + fee
        self.total_fees += fee
        h.total_fees += fee
        traded = abs(quantity * price)
        self.total_sale_volume += traded
        h.total_sale_volume += traded
        closed = 0.0
        if q0 != 0 and (q0 > 0) != (quantity > 0):
            closed = min(abs(quantity), abs(q0)) * (1 if q0 > 0 else -1)
        if closed:
            pnl = closed * (price - h.average_price)
            h.profit += pnl - fee
            self.trade_records.append((time, pnl - 2 * fee))
        else:
            h.profit -= fee
        if q1 == 0:
            h.average_price = 0.0
        elif q0 == 0 or (q0 > 0) != (q1 > 0):
            h.average_price = price           # opened or flipped
        elif abs(q1) > abs(q0):
            h.average_price = (h.average_price * abs(q0) + price * abs(quantity)) / abs(q1)
        h.quantity = q1

    # -- corporate actions (Common/Securities/SecurityPortfolioManager.cs) --------------------------------
    def apply_dividend(self, dividend: Any, mode: DataNormalizationMode) -> None:
        """``ApplyDividend``: cash for holdings only in RAW and SPLIT_ADJUSTED modes; the other modes' prices
        already carry the dividend. Shorts pay it."""
        if mode not in (DataNormalizationMode.RAW, DataNormalizationMode.SPLIT_ADJUSTED):
            return
        security = self._securities[dividend.symbol]
        total = security.holdings.quantity * dividend.distribution
        self.cash += total
        security.holdings.total_dividends += total

    def apply_split(self, split: Any, security: Security, mode: DataNormalizationMode) -> None:
        """``ApplySplit`` (backtest): only equities in RAW mode. The quantity is divided by the split factor and
        truncated to whole shares, the average price multiplied by it, the price cache scaled
        (``SecurityCache.ApplySplit``), and the fractional share paid out as cash at the new price."""
        if mode != DataNormalizationMode.RAW:
            return
        h = security.holdings
        quantity = h.quantity / split.split_factor
        whole = math.trunc(quantity)
        self.totals.valid = False
        h.quantity, h.average_price = float(whole), h.average_price * split.split_factor
        if security.get_last_data() is None:
            self.cash += (quantity - whole) * split.reference_price * split.split_factor
            return
        security.cache.apply_split(split.split_factor)
        self.cash += (quantity - whole) * security.price
