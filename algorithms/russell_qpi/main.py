"""Russell QPI: short-horizon mean reversion on the 500 most liquid US stocks (docs/russell_qpi.md).

Each day at the close, for the coarse universe (top ``universe-size`` by dollar volume, price >= ``min-price``):
compute QPI and the eight features for every name at once; go LONG when QPI < 15 and P(long) > 0.60, SHORT when
QPI > 85 and P(short) > 0.60, best probability first, up to 20 per side. Each new position gets the side's gross
exposure / 20, by the VIX regime (bear when VIX > 1.15 x SMA(VIX, 15): 0.1x long / 0.2x short; else 1.1x / 0.2x),
and at most 5% of the name's 20-day average dollar volume. Exits: a 5% stop loss on the close against the entry
fill, and a 6-session time stop. Orders placed at the close fill at the next open (market-on-open), with 5 bps
commission and 10 bps slippage.

The gates come from the ObjectStore timeline that research/russell_qpi.ipynb trains (key russell_qpi/<cutoff>/),
loaded as of each day: the newest cutoff strictly before it. Every number is a parameter in config.json; the
ablations are ``use-gate false``, ``use-regime false`` and ``longs-only true``.
"""

import pandas as pd
from AlgorithmImports import *
from models import russell_qpi as qpi
from models.dates import parameter_date
from models.lean_history import wide
from models.store import train_command

STALE_SESSIONS = 5  # sessions without a VIX or universe bar before the algorithm stops


class BpsFeeModel(FeeModel):
    """A commission in basis points of the traded value."""

    def __init__(self, bps: float) -> None:
        super().__init__()
        self.rate = bps / 1e4

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        value = abs(parameters.order.quantity) * parameters.security.price
        return OrderFee(CashAmount(value * self.rate, "USD"))


class RussellQpi(QCAlgorithm):
    def initialize(self) -> None:
        self.set_start_date(parameter_date("start", self.get_parameter("start", "2016-01-01")))
        self.set_end_date(parameter_date("end", self.get_parameter("end", "2020-12-31")))
        self.set_cash(int(self.get_parameter("cash", 1000000)))
        self.rules = qpi.Rules.from_parameters(self.get_parameter)
        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self.select_coarse)
        self.vix = self.add_index("VIX", Resolution.DAILY).symbol
        self.vix_sma = self.sma(self.vix, self.rules.vix_window, Resolution.DAILY)
        self.set_warm_up(self.rules.vix_window + 1, Resolution.DAILY)
        self.timeline = qpi.model_timeline(self.object_store, log=self.log)
        if self.rules.use_gate and not self.timeline.cutoffs():
            self.timeline.as_of(self.start_date)  # raises ModelNotFoundError naming the command that trains one
        self.bars = qpi.features.RecentBars()
        self.members: dict[str, Symbol] = {}  # the universe now
        self.known: dict[str, Symbol] = {}  # every name ever added (held names may have left the universe)
        self.book = qpi.Book(self.rules)
        self.opening: dict[str, str] = {}  # ticker -> side of an entry order waiting for its fill
        self.sessions_without = {"VIX": 0, "universe": 0}


    def select_coarse(self, coarse: List[CoarseFundamental]) -> List[Symbol]:
        by_ticker = {c.symbol.value: c for c in coarse}
        if not by_ticker:
            return []
        rows = pd.DataFrame({"ticker": list(by_ticker),
                             "price": [c.price for c in by_ticker.values()],
                             "dollar_volume": [c.dollar_volume for c in by_ticker.values()],
                             "has_fundamental_data": [c.has_fundamental_data for c in by_ticker.values()]})
        return [by_ticker[t].symbol for t in qpi.select_universe(rows, self.rules)]

    def on_securities_changed(self, changes: SecurityChanges) -> None:
        added = []
        for security in changes.added_securities:
            security.set_fee_model(BpsFeeModel(self.rules.commission_bps))
            security.set_slippage_model(ConstantSlippageModel(self.rules.slippage_bps / 1e4))
            self.members[security.symbol.value] = self.known[security.symbol.value] = security.symbol
            added.append(security.symbol)
        for security in changes.removed_securities:
            self.members.pop(security.symbol.value, None)  # held names keep their exits; LEAN keeps their data
        if added:
            history = self.history(added, qpi.HISTORY_BARS, Resolution.DAILY)
            if not history.empty:
                self.bars.seed(wide(history, "close"), wide(history, "volume"))

    def on_data(self, data: Slice) -> None:
        if not data.bars:
            return  # a slice of dividends or splits only (at midnight): the session's bars come at the close
        closes, volumes = {}, {}
        for symbol, bar in data.bars.items():
            if symbol.security_type == SecurityType.EQUITY:
                closes[symbol.value], volumes[symbol.value] = float(bar.close), float(bar.volume)
        self.bars.append(self.time, closes, volumes)
        if self.is_warming_up:
            return
        self._check_inputs(data, closes)
        vix_close = float(self.securities[self.vix].price)
        bear = qpi.is_bear(vix_close, float(self.vix_sma.current.value), self.rules)

        exits = self.book.on_close(closes)
        for ticker, reason in exits:
            self.liquidate(self.known[ticker], tag=f"{reason} exit")
        exiting = {t for t, _ in exits}
        held = {t: p for t, p in self.book.positions.items() if t not in exiting}
        n_long = sum(1 for p in held.values() if p.side == "long")
        n_short = len(held) - n_long

        today = [t for t in self.members if t in closes]
        latest = self.bars.latest(today)
        p_long, p_short, source = self._probabilities(latest)
        longs, shorts = qpi.entries(latest["qpi"], p_long, p_short, list(self.book.positions) + list(self.opening),
                                    n_long, n_short, self.rules)
        adv = self.bars.adv_dollars(self.rules.adv_window)
        value = self.portfolio.total_portfolio_value
        for side, names in (("long", longs), ("short", shorts)):
            weight = qpi.target_weight(side, bear, self.rules)
            for ticker in names:
                capped = qpi.cap_weight(weight, float(adv.get(ticker, 0.0)), value, self.rules)
                if self.set_holdings(self.members[ticker], capped, tag=f"entry {side} QPI "
                                     f"{latest['qpi'][ticker]:.1f}"):
                    self.opening[ticker] = side
        if longs or shorts or exits:
            self.log(f"{self.time.date()} {'bear' if bear else 'bull'} {source}: long {longs} short {shorts} "
                     f"exit {exits}")
        self.plot("Positions", "Long", n_long + len(longs))
        self.plot("Positions", "Short", n_short + len(shorts))
        gross = sum(abs(self.portfolio[self.known[t]].holdings_value) for t in self.book.positions)
        gross = gross / value if value else 0.0
        self.plot("Exposure", "Gross", gross)
        self.plot("Regime", "Bear", 1 if bear else 0)

    def _probabilities(self, latest: dict) -> tuple:
        if not self.rules.use_gate:
            return None, None, "no gate"
        model = self.timeline.as_of(self.time)  # newest cutoff strictly before today
        features = pd.DataFrame({name: latest[name] for name in qpi.FEATURE_NAMES})
        out = []
        for side, mask in (("long", latest["qpi"] < self.rules.qpi_long_max),
                           ("short", latest["qpi"] > self.rules.qpi_short_min)):
            rows = features[mask.reindex(features.index, fill_value=False)].dropna()
            out.append(pd.Series(qpi.probability(model[side], rows.to_numpy()), index=rows.index, dtype=float))
        return out[0], out[1], f"model {model.cutoff}"

    def _check_inputs(self, data: Slice, closes: dict) -> None:
        """Stop with a clear message when VIX or the universe's bars stop arriving."""
        for name, present in (("VIX", self.vix in data.bars and self.vix_sma.is_ready), ("universe", bool(closes))):
            self.sessions_without[name] = 0 if present else self.sessions_without[name] + 1
            if self.sessions_without[name] >= STALE_SESSIONS:
                what = ("VIX (data/index/usa/daily/vix.zip)" if name == "VIX" else
                        f"any of the {len(self.members)} universe members (coarse files in data/equity/usa/"
                        "fundamental/coarse and their daily bars)")
                raise RuntimeError(
                    f"russell_qpi: no bar for {what} in the last {STALE_SESSIONS} sessions up to {self.time.date()}; "
                    "create the data with `qclocal data generate reversal` or `qclocal data import`, then train "
                    f"with `{train_command(qpi.STRATEGY)}`")

    def on_order_event(self, order_event: OrderEvent) -> None:
        if order_event.status != OrderStatus.FILLED:
            return
        ticker = order_event.symbol.value
        side = self.opening.pop(ticker, None)
        if side is not None:
            self.book.open(ticker, side, order_event.fill_price)
        elif self.portfolio[order_event.symbol].quantity == 0:
            self.book.close(ticker)
