"""The benchmark's SMA-crossover rule in nautilus_trader, driven by a Python strategy, on the same bars.

nautilus_trader fills a market order at once against its simulated book, which after a daily bar holds that
bar's close; it has no market-on-open order for bar data. So, to fill where LEAN's market-on-open orders fill,
each ticker also gets a quote tick at every session's open (bid = ask = the bar's open, 09:30 New York), and
the strategy places its orders when that quote arrives:

- ``on_bar`` (the daily bar, stamped at the 16:00 close) updates SMA(10) and SMA(50) (nautilus' own Cython
  indicators) and records the signal: fast > slow and flat -> buy, fast < slow and invested -> sell;
- the first open quote of a session sizes every recorded buy as LEAN's ``set_holdings(symbol, 0.01)`` does,
  from the previous closes and the portfolio value at them (see ``floor.py``), and each ticker's own open
  quote submits its market order, which fills at that open;
- cash account in USD, 1,000,000 to start; fees: the Interactive Brokers schedule (a ``FeeModel``);
  instruments with 1/10000 dollar prices and 1-share lots, as LEAN's equities.

Requires nautilus_trader (``pip install -e '.[bench]'``); it is not a dependency of the workspace itself.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
from bars import engine_report, ib_fee, load_bars
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.backtest.models import FeeModel
from nautilus_trader.config import LoggingConfig
from nautilus_trader.indicators.averages import SimpleMovingAverage
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.persistence.wranglers import BarDataWrangler, QuoteTickDataWrangler
from nautilus_trader.trading.strategy import Strategy

FAST, SLOW, WEIGHT, FREE = 10, 50, 0.01, 0.0025
VENUE = Venue("SIM")
TZ = "America/New_York"


class InteractiveBrokersFee(FeeModel):
    def get_commission(self, order, fill_qty, fill_px, instrument):
        return Money(float(ib_fee(fill_qty.as_double(), fill_px.as_double())), USD)


class SmaCross(Strategy):
    def __init__(self, instruments: list[Equity]) -> None:
        super().__init__()
        self.instruments = instruments
        self.smas: dict[InstrumentId, tuple[SimpleMovingAverage, SimpleMovingAverage]] = {}
        self.last_close: dict[InstrumentId, float] = {}
        self.held: dict[InstrumentId, float] = {}
        self.signals: dict[InstrumentId, int] = {}     # +1 buy, -1 sell, recorded at the close
        self.orders: dict[InstrumentId, float] = {}    # signed quantities to submit at the next open
        self.session_ns = -1
        self.buys = self.sells = 0

    def on_start(self) -> None:
        for instrument in self.instruments:
            bar_type = BarType.from_str(f"{instrument.id}-1-DAY-LAST-EXTERNAL")
            fast, slow = SimpleMovingAverage(FAST), SimpleMovingAverage(SLOW)
            self.register_indicator_for_bars(bar_type, fast)
            self.register_indicator_for_bars(bar_type, slow)
            self.smas[instrument.id] = (fast, slow)
            self.subscribe_bars(bar_type)
            self.subscribe_quote_ticks(instrument.id)

    def on_bar(self, bar: Bar) -> None:
        instrument_id = bar.bar_type.instrument_id
        self.last_close[instrument_id] = bar.close.as_double()
        fast, slow = self.smas[instrument_id]
        if not slow.initialized:
            return
        invested = self.held.get(instrument_id, 0.0) != 0
        if fast.value > slow.value and not invested:
            self.signals[instrument_id] = 1
        elif fast.value < slow.value and invested:
            self.signals[instrument_id] = -1

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if tick.ts_event != self.session_ns:       # the session's first open quote: size yesterday's signals
            self.session_ns = tick.ts_event
            self._size_orders()
        quantity = self.orders.pop(tick.instrument_id, 0.0)
        if quantity:
            side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
            self.submit_order(self.order_factory.market(tick.instrument_id, side, Quantity.from_int(int(abs(quantity)))))

    def _size_orders(self) -> None:
        if not self.signals:
            return
        cash = self.portfolio.account(VENUE).balance_total(USD).as_double()
        value = cash + sum(q * self.last_close[i] for i, q in self.held.items() if q)
        fraction = WEIGHT * (1 - FREE)
        for instrument_id, signal in self.signals.items():
            if signal < 0:
                self.orders[instrument_id] = -self.held[instrument_id]
                continue
            price = self.last_close[instrument_id]
            quantity = math.floor(fraction * value / price)
            while quantity > 0 and quantity * price > (value - ib_fee(quantity, price)) * fraction:
                quantity -= 1
            if quantity:
                self.orders[instrument_id] = quantity
        self.signals.clear()

    def on_order_filled(self, event) -> None:
        quantity = event.last_qty.as_double() * (1 if event.order_side == OrderSide.BUY else -1)
        self.held[event.instrument_id] = self.held.get(event.instrument_id, 0.0) + quantity
        self.buys += quantity > 0
        self.sells += quantity < 0


def equity(ticker: str) -> Equity:
    return Equity(instrument_id=InstrumentId(Symbol(ticker), VENUE), raw_symbol=Symbol(ticker), currency=USD,
                  price_precision=4, price_increment=Price.from_str("0.0001"), lot_size=Quantity.from_int(1),
                  ts_event=0, ts_init=0)


def stamped(frame: pd.DataFrame, hour: int, minute: int) -> pd.DataFrame:
    """The frame indexed by the UTC time of ``hour:minute`` New York on each bar date."""
    times = (frame.index + pd.Timedelta(hours=hour, minutes=minute)).tz_localize(TZ).tz_convert("UTC")
    return frame.set_index(times.rename("timestamp"))


def run(data_folder: Path, tickers: list[str], cash: float = 1_000_000.0) -> dict:
    started = time.perf_counter()
    engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("BENCH-001"),
                                                 logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(VENUE, oms_type=OmsType.NETTING, account_type=AccountType.CASH, base_currency=USD,
                     starting_balances=[Money(cash, USD)], fee_model=InteractiveBrokersFee())
    instruments, bars = [], 0
    for ticker in tickers:
        instrument = equity(ticker)
        frame = load_bars(data_folder, ticker)
        bars += len(frame)
        engine.add_instrument(instrument)
        bar_type = BarType.from_str(f"{instrument.id}-1-DAY-LAST-EXTERNAL")
        engine.add_data(BarDataWrangler(bar_type, instrument).process(stamped(frame, 16, 0)))
        quotes = stamped(pd.DataFrame({"bid_price": frame["open"], "ask_price": frame["open"]}), 9, 30)
        engine.add_data(QuoteTickDataWrangler(instrument).process(quotes, default_volume=1e9))
        instruments.append(instrument)
    strategy = SmaCross(instruments)
    engine.add_strategy(strategy)
    loaded = time.perf_counter()
    engine.run()
    finished = time.perf_counter()
    final_cash = engine.portfolio.account(VENUE).balance_total(USD).as_double()
    final_equity = final_cash + sum(q * strategy.last_close[i] for i, q in strategy.held.items() if q)
    engine.dispose()
    return engine_report(started, loaded, finished, bars, strategy.buys, strategy.sells, final_equity)
