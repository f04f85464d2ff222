"""Securities, their exchange, holdings and price cache; the ``securities`` collection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qclocal.data.market_hours import ExchangeHours
from qclocal.engine.data_types import Bar, BaseData, DataDictionary, QuoteBar, TradeBar
from qclocal.engine.enums import DataNormalizationMode, Resolution, SecurityType
from qclocal.engine.lean_api import lean_type
from qclocal.engine.orders import InteractiveBrokersFeeModel, NullSlippageModel, ZeroFeeModel
from qclocal.engine.symbols import Symbol

if TYPE_CHECKING:
    from qclocal.engine.feed import Subscription


@lean_type("QuantConnect.Securities.SecurityExchange")
class SecurityExchange:
    def __init__(self, hours: ExchangeHours, clock: Any):
        self.hours = hours
        self._clock = clock
        self.time_zone = hours.time_zone

    @property
    def exchange_open(self) -> bool:
        return self.hours.is_open(self._clock.local_time(self.time_zone))

    def date_is_open(self, day: Any) -> bool:
        return self.hours.is_trading_day(day)

    def date_time_is_open(self, moment: datetime) -> bool:
        return self.hours.is_open(moment)


class HoldingsTotals:
    """The portfolio-wide sums that every order reads: holdings value and margin used (``Portfolio``).

    They are summed over all securities on first read and kept until a price or a leverage changes (``valid``
    goes False). A fill adjusts them by its own position's change and clears ``exact``: the fill scan's
    buying-power checks use the adjusted sums, so a scan filling k orders costs O(k) rather than O(k x
    securities); every other reader gets the plain sum over holdings, summed again when it is not exact."""

    __slots__ = ("valid", "exact", "holdings_value", "margin_used")

    def __init__(self) -> None:
        self.valid = self.exact = False
        self.holdings_value = self.margin_used = 0.0


@lean_type("QuantConnect.Securities.SecurityCache")
class SecurityCache:
    __slots__ = ("trade_bar", "quote_bar", "custom", "price", "open", "high", "low", "close",
                 "bid_price", "ask_price", "last_trade_end", "last_quote_end", "_totals")

    def __init__(self, totals: HoldingsTotals | None = None) -> None:
        self._totals = totals if totals is not None else HoldingsTotals()  # invalidated by each new price
        self.trade_bar: TradeBar | None = None
        self.quote_bar: QuoteBar | None = None
        self.custom: BaseData | None = None
        self.price = self.open = self.high = self.low = self.close = 0.0
        self.bid_price = self.ask_price = 0.0
        self.last_trade_end: datetime | None = None
        self.last_quote_end: datetime | None = None

    def update_trade(self, bar: TradeBar) -> None:
        if bar.is_fill_forward and self.trade_bar is not None:
            return  # fill-forward bars do not update the cache
        self.trade_bar = bar
        self.price, self.open, self.high, self.low, self.close = bar.close, bar.open, bar.high, bar.low, bar.close
        self.last_trade_end = bar.end_time
        self._totals.valid = False

    def update_quote(self, bar: QuoteBar) -> None:
        if bar.is_fill_forward and self.quote_bar is not None:
            return
        self.quote_bar = bar
        self.bid_price = bar.bid.close if bar.bid else 0.0
        self.ask_price = bar.ask.close if bar.ask else 0.0
        self.last_quote_end = bar.end_time

    def update_custom(self, point: BaseData) -> None:
        self.custom = point
        self.price = self.close = point.value
        self._totals.valid = False

    def apply_split(self, factor: float) -> None:
        """``SecurityCache.ApplySplit``: prices times the split factor, volumes divided by it, the cached bars too."""
        self.price, self.open, self.high, self.low, self.close = (
            v * factor for v in (self.price, self.open, self.high, self.low, self.close))
        self.bid_price, self.ask_price = self.bid_price * factor, self.ask_price * factor
        self._totals.valid = False
        bar = self.trade_bar
        if bar is not None:
            self.trade_bar = type(bar)(bar.time, bar.symbol, bar.open * factor, bar.high * factor, bar.low * factor,
                                       bar.close * factor, bar.volume / factor, end_time=bar.end_time,
                                       is_fill_forward=bar.is_fill_forward)
        quote = self.quote_bar
        if quote is not None:
            scaled = [None if side is None else Bar(side.open * factor, side.high * factor, side.low * factor,
                                                    side.close * factor) for side in (quote.bid, quote.ask)]
            self.quote_bar = QuoteBar(quote.time, quote.symbol, scaled[0], quote.last_bid_size / factor, scaled[1],
                                      quote.last_ask_size / factor, quote.end_time, quote.is_fill_forward)


@lean_type("QuantConnect.Securities.SecurityHolding")
class SecurityHolding:
    def __init__(self, security: Security):
        self._security = security
        self.quantity = 0.0
        self.average_price = 0.0
        self.total_fees = 0.0
        self.total_dividends = 0.0  # cash received (paid when short) from dividends in RAW/SPLIT_ADJUSTED modes
        self.profit = 0.0           # realised profit net of fees
        self.total_sale_volume = 0.0

    symbol = property(lambda self: self._security.symbol)
    price = property(lambda self: self._security.price)
    invested = property(lambda self: self.quantity != 0)
    is_long = property(lambda self: self.quantity > 0)
    is_short = property(lambda self: self.quantity < 0)
    absolute_quantity = property(lambda self: abs(self.quantity))
    holdings_value = property(lambda self: self.quantity * self._security.price)
    absolute_holdings_value = property(lambda self: abs(self.quantity * self._security.price))
    holdings_cost = property(lambda self: self.quantity * self.average_price)
    absolute_holdings_cost = property(lambda self: abs(self.quantity * self.average_price))
    unrealized_profit = property(lambda self: self.quantity * (self._security.price - self.average_price))
    net_profit = property(lambda self: self.profit)

    @property
    def unrealized_profit_percent(self) -> float:
        cost = abs(self.quantity * self.average_price)
        return self.unrealized_profit / cost if cost else 0.0

    def __repr__(self) -> str:
        return f"{self.symbol}: {self.quantity} @ {self.average_price:.4f}"


@lean_type("QuantConnect.Securities.Security")
class Security:
    def __init__(self, symbol: Symbol, exchange: SecurityExchange, resolution: Resolution, leverage: float,
                 normalization: DataNormalizationMode, security_type: SecurityType,
                 totals: HoldingsTotals | None = None):
        self.symbol = symbol
        self.exchange = exchange
        self.resolution = resolution
        self.type = security_type
        self.cache = SecurityCache(totals)
        self.holdings = SecurityHolding(self)
        self.leverage = float(leverage)
        self.data_normalization_mode = normalization
        self.is_tradable = security_type != SecurityType.INDEX
        self.fee_model = ZeroFeeModel() if security_type in (SecurityType.INDEX, SecurityType.BASE) \
            else InteractiveBrokersFeeModel()
        self.slippage_model = NullSlippageModel()
        self.margin_interest_rate_model: Any = None
        self.quote_currency: Any = None   # the portfolio's USD Cash, set when the algorithm adds the security
        self.subscriptions: list[Subscription] = []
        self.is_delisted = False

    # -- prices ---------------------------------------------------------------------------------------
    price = property(lambda self: self.cache.price)
    open = property(lambda self: self.cache.open)
    high = property(lambda self: self.cache.high)
    low = property(lambda self: self.cache.low)
    close = property(lambda self: self.cache.close)
    volume = property(lambda self: self.cache.trade_bar.volume if self.cache.trade_bar is not None else 0.0)
    bid_price = property(lambda self: self.cache.bid_price)
    ask_price = property(lambda self: self.cache.ask_price)
    has_data = property(lambda self: self.cache.trade_bar is not None or self.cache.custom is not None)
    invested = property(lambda self: self.holdings.invested)

    def get_last_data(self) -> Any:
        return self.cache.trade_bar or self.cache.custom

    @property
    def is_daily_only(self) -> bool:
        subs = [s for s in self.subscriptions if not s.is_internal]
        return bool(subs) and all(s.resolution == Resolution.DAILY for s in subs)

    @property
    def extended_hours(self) -> bool:
        return any(s.extended_hours for s in self.subscriptions if not s.is_internal)

    # -- settings -------------------------------------------------------------------------------------
    def set_leverage(self, leverage: float) -> None:
        """``BuyingPowerModel.SetLeverage``: margin requirement 1/leverage; leverage below 1 is an error."""
        if leverage < 1:
            raise ValueError(f"set_leverage({leverage}) for {self.symbol}: Leverage must be greater than or equal "
                             f"to 1.")
        self.leverage = float(leverage)
        self.cache._totals.valid = False

    def set_fee_model(self, model: Any) -> None:
        self.fee_model = model

    def set_slippage_model(self, model: Any) -> None:
        self.slippage_model = model

    def set_margin_interest_rate_model(self, model: Any) -> None:
        self.margin_interest_rate_model = model

    def set_data_normalization_mode(self, mode: DataNormalizationMode) -> None:
        raise NotImplementedError("Security.set_data_normalization_mode after subscription is not supported by "
                                  "qclocal; pass data_normalization_mode to add_equity instead")


@lean_type("QuantConnect.Securities.SecurityManager")
class SecurityManager(DataDictionary):
    """``self.securities``: Security objects keyed by Symbol, also reachable by ticker string."""

    def __getitem__(self, key: Any) -> Security:
        if type(key) is Symbol:  # the hot path (portfolio[symbol] per bar): a plain dict look-up
            try:
                return dict.__getitem__(self, key)
            except KeyError:
                pass
        try:
            return super().__getitem__(key)
        except KeyError:
            raise KeyError(f"'{key}' is not in the algorithm's securities: add it first with add_equity/add_index "
                           f"or a universe") from None

    def contains_key(self, key: Any) -> bool:
        return key in self

    @property
    def total(self) -> list[Security]:
        return list(self.values())
