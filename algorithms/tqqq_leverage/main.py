"""Replicate TQQQ with QQQ at the leverage predicted by the as-of model (models.tqqq_leverage).

The parameter `execution` chooses when the order is sized and filled (models.tqqq_leverage.rules):

- `moo` (default, daily data): after each close, predict the next session from history up to that close and
  send a market-on-open order sized from that close and the equity at that close;
- `intraday` (hour or minute QQQ bars): `rebalance-minutes` before the close, predict from history up to the
  previous close and send a market order sized at the current price, so the leverage held into the close and
  over the next session is the prediction up to one share;
- `moc` (the old rule, for comparison): 15 minutes before the close, a market-on-close order sized from the
  previous close (the last price daily data knows then), so the held leverage drifts by the day's return.

QQQ moves to the prediction when it is more than `band` away. Borrowed cash pays the T-bill rate plus a spread.
"""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from AlgorithmImports import *
from models.lean_history import wide
from models.tqqq_leverage import timeline_name
from models.tqqq_leverage.dataset import align_inputs
from models.tqqq_leverage.model import required_history, train_command_for
from models.tqqq_leverage.persistence import LeveragePredictor
from models.tqqq_leverage.rules import check_execution, leverage_after_fill, needs_rebalance, target_shares

TRADING_DAYS = 252
# The account: portfolio margin. Reg T lends at most 2x overnight, too little for a 3x position; portfolio margin
# requires 15% of a broad-based index ETF's value (FINRA Rule 4210(g): the loss on a +/-15% move), initial and
# maintenance alike. LEAN's SecurityMarginModel with leverage 1/0.15 is exactly that requirement, so LEAN's default
# margin-call model calls the replica only where such an account would: at 3x, after a one-day fall of about 22%
# (QQQ's worst day in 2017-2020 was -12%).
PORTFOLIO_MARGIN_REQUIREMENT = 0.15


class TBillFinancing:
    """Margin interest: borrowed cash pays (T-bill rate + spread) per ACT/360 day, charged once per day."""

    def __init__(self, algorithm: QCAlgorithm, rate: Symbol, spread: float) -> None:
        self.algorithm, self.rate, self.spread = algorithm, rate, spread
        self.last_day: date | None = None
        self.total = 0.0

    def apply_margin_interest_rate(self, parameters: MarginInterestRateParameters) -> None:
        day = parameters.time.date()
        if self.last_day is None or day <= self.last_day:
            self.last_day = self.last_day or day
            return
        days, self.last_day = (day - self.last_day).days, day
        cash = parameters.security.quote_currency
        borrowed = -float(cash.amount)
        if borrowed > 0:
            rate = float(self.algorithm.securities[self.rate].price) / 100 + self.spread
            charge = borrowed * rate * days / 360
            cash.add_amount(-charge)
            self.total += charge


class TqqqLeverageReplication(QCAlgorithm):
    def initialize(self) -> None:
        self.set_start_date(datetime.strptime(self.get_parameter("start", "2017-01-01"), "%Y-%m-%d"))
        self.set_end_date(datetime.strptime(self.get_parameter("end", "2020-12-31"), "%Y-%m-%d"))
        self.set_cash(int(self.get_parameter("cash", 100_000)))
        self.variant = self.get_parameter("variant", "compact")
        self.band = self.get_parameter("band", 0.0)
        self.order_timing = check_execution(self.get_parameter("execution", "moo"))
        trading = Resolution.HOUR if self.order_timing == "intraday" else Resolution.DAILY
        if self.order_timing == "intraday" and self.get_parameter("intraday-resolution", "hour") == "minute":
            trading = Resolution.MINUTE
        self.qqq = self.add_equity("QQQ", trading, leverage=1 / PORTFOLIO_MARGIN_REQUIREMENT).symbol
        self.tqqq = self.add_equity("TQQQ", Resolution.DAILY).symbol
        # no fill-forward: a missing VIX day must reach align_inputs as a gap (an error), not a copied value
        self.indexes = {name: self.add_index(name.upper(), Resolution.DAILY, fill_forward=False).symbol
                        for name in ("vix", "vix3m", "irx", "tnx")}
        self.set_benchmark(self.tqqq)
        self.financing = TBillFinancing(self, self.indexes["irx"], self.get_parameter("financing-spread", 0.004))
        self.securities[self.qqq].set_margin_interest_rate_model(self.financing)
        self.predictor = LeveragePredictor(self.object_store, variant=self.variant, log=self.debug)
        if not self.predictor.timeline.cutoffs():
            raise RuntimeError(f"no {timeline_name(self.variant)} models in the ObjectStore; train them with "
                               f"`{train_command_for(self.variant)}`")
        # a calendar span, not a bar count: LEAN counts daily bars in one-day steps from the current time, so after an
        # early close (13:00) a count of N gives about 5/6 N sessions (Common/Time.cs GetStartTimeForTradeBars)
        self.lookback = timedelta(days=int(required_history() * 365 / 252) + 30)
        self.last: tuple[float, float] | None = None
        self.model_cutoff: date | None = None
        self.replica: list[float] = []
        self.actual: list[float] = []
        self.margin_warnings = 0
        self.predicted: float | None = None
        if self.order_timing != "moo":
            minutes = 15 if self.order_timing == "moc" else self.get_parameter("rebalance-minutes", 60)
            self.schedule.on(self.date_rules.every_day(self.qqq),
                             self.time_rules.before_market_close(self.qqq, minutes), self.rebalance_before_close)

    def predict(self, when: datetime) -> float:
        """The leverage for the session on or after `when`, from daily history up to the last close before it."""
        history = self.history([self.qqq, self.tqqq, *self.indexes.values()], self.lookback, Resolution.DAILY)
        closes = wide(history, "close")
        closes = closes[closes.index.normalize() < pd.Timestamp(when).normalize()]
        inputs = align_inputs(closes["QQQ"], closes.get("TQQQ"), closes["VIX"], closes["VIX3M"], closes["IRX"],
                              closes["TNX"])
        prediction = self.predictor.predict(inputs, when)
        if prediction.cutoff != self.model_cutoff:
            self.model_cutoff = prediction.cutoff
            self.debug(f"Using the {self.variant} model with cutoff {prediction.cutoff}")
        self.plot("Leverage", "Predicted", prediction.leverage)
        self.predicted = prediction.leverage
        return prediction.leverage

    def rebalance_before_close(self) -> None:
        leverage = self.predict(self.time)
        equity = self.portfolio.total_portfolio_value
        holding = self.portfolio[self.qqq]
        if not needs_rebalance(holding.holdings_value / equity, leverage, self.band):
            return
        if self.order_timing == "moc":
            self.set_holdings(self.qqq, leverage)  # sized from the previous close: the old rule, kept to compare
            return
        shares = target_shares(leverage, equity, self.securities[self.qqq].price) - holding.quantity
        if shares:
            self.market_order(self.qqq, shares)

    def rebalance_after_close(self) -> None:
        """MOO: size from this close and this equity; the order fills at the next session's open."""
        leverage = self.predict(self.time + timedelta(days=1))
        equity = self.portfolio.total_portfolio_value
        holding = self.portfolio[self.qqq]
        if not needs_rebalance(holding.holdings_value / equity, leverage, self.band):
            return
        shares = target_shares(leverage, equity, self.securities[self.qqq].price) - holding.quantity
        if shares:
            self.market_on_open_order(self.qqq, shares)

    def on_order_event(self, order_event: OrderEvent) -> None:
        if order_event.status == OrderStatus.FILLED and self.predicted is not None:
            held = leverage_after_fill(self.portfolio[self.qqq].quantity, order_event.fill_price,
                                       self.portfolio.cash)
            self.plot("Leverage", "Held after fill", held)

    def on_margin_call_warning(self) -> None:
        self.margin_warnings += 1
        self.log(f"Margin call warning: margin remaining ${self.portfolio.margin_remaining:,.2f} of "
                 f"${self.portfolio.total_portfolio_value:,.2f}")

    def on_data(self, slice: Slice) -> None:
        bar = slice.bars.get(self.tqqq)
        if bar is None or slice.bars.get(self.qqq) is None:
            return
        value = self.portfolio.total_portfolio_value
        if self.last is not None and self.portfolio.invested:
            self.replica.append(value / self.last[0] - 1)
            self.actual.append(bar.close / self.last[1] - 1)
            self.plot("Replication", "Replica", 100 * (1 + np.array(self.replica)).prod())
            self.plot("Replication", "TQQQ", 100 * (1 + np.array(self.actual)).prod())
            if len(self.replica) > 20:
                gap = np.array(self.replica) - np.array(self.actual)
                self.plot("Tracking Error", "Annualised", float(gap.std(ddof=1) * np.sqrt(TRADING_DAYS)))
        self.last = (value, bar.close)
        if self.order_timing == "moo":
            self.rebalance_after_close()

    def on_end_of_algorithm(self) -> None:
        if len(self.replica) < 2:
            self.log("Tracking against TQQQ: fewer than two invested sessions")
            return
        replica, actual = np.array(self.replica), np.array(self.actual)
        tracking = float((replica - actual).std(ddof=1) * np.sqrt(TRADING_DAYS))
        wealth = float((1 + replica).prod() / (1 + actual).prod() - 1)
        self.log(f"Tracking against TQQQ over {len(replica)} sessions: correlation "
                 f"{np.corrcoef(replica, actual)[0, 1]:.4f}, annualised tracking error {tracking:.2%}, "
                 f"terminal wealth error {wealth:+.2%}, financing paid ${self.financing.total:,.2f}, "
                 f"margin call warnings {self.margin_warnings}")
        self.set_summary_statistic("Tracking Error vs TQQQ", f"{tracking:.2%}")
        self.set_summary_statistic("Terminal Wealth Error vs TQQQ", f"{wealth:+.2%}")
