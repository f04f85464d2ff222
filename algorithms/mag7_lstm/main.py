"""Mag7 LSTM: an LSTM ranks 8 mega-cap tech stocks at each month start (docs/mag7_lstm.md).

The rules are the source's: at the month start, 30 minutes after the open, score each name; keep the names with a
score above 0 and a price above SMA(200); hold the top 4 with inverse-volatility weights (ATR / price * sqrt(252)),
each capped at 40%; when nothing qualifies, liquidate everything and hold 100% BIL. A trailing stop at
price - 2.5 ATR is set at the rebalance, raised every day, and the name is liquidated when the price falls below.

The algorithm never trains. It loads the model whose cutoff is the newest strictly before the decision date,
from the timeline that research/mag7_lstm.ipynb saved in the ObjectStore, and computes the features with the
library function research uses (``models.mag7_lstm.compute_features``). ``signal=momentum`` replaces the LSTM by
12-1 momentum, the ablation, through the same rules; ``signal=random`` by random scores (``random-seed``), the
no-skill ablation. Parameters (config.json): start, end, cash, signal, top-n,
stop-multiple, position-cap, vol-target (on: scale the weights to 12% estimated volatility).
"""

from AlgorithmImports import *
from models import mag7_lstm as m7
from models.dates import parameter_date
from models.lean_history import per_symbol, wide

VOL_WINDOW = 63  # daily returns behind the covariance of the vol-target estimate
WARMUP_BARS = 210  # SMA(200) and ATR(20) ready, and every price known, at the first rebalance


class Mag7Lstm(QCAlgorithm):
    def initialize(self) -> None:
        self.set_start_date(parameter_date("start", self.get_parameter("start", "2017-01-01")))
        self.set_end_date(parameter_date("end", self.get_parameter("end", "2020-12-31")))
        self.initial_cash = int(self.get_parameter("cash", 10000))
        self.set_cash(self.initial_cash)
        self.signal = str(self.get_parameter("signal", "lstm")).strip().lower()
        if self.signal not in ("lstm", "momentum", "random"):
            raise ValueError(f"parameter signal must be 'lstm', 'momentum' or 'random', got {self.signal!r}")
        self.random_seed = int(self.get_parameter("random-seed", 0))
        self.top_n = int(self.get_parameter("top-n", m7.TOP_N))
        self.cap = float(self.get_parameter("position-cap", m7.MAX_POSITION))
        vol_target = str(self.get_parameter("vol-target", "off")).strip().lower()
        if vol_target not in ("on", "off"):
            raise ValueError(f"parameter vol-target must be 'on' or 'off', got {vol_target!r}")
        self.vol_target = m7.TARGET_VOL if vol_target == "on" else None
        self.stops = m7.TrailingStops(float(self.get_parameter("stop-multiple", m7.STOP_ATR_MULTIPLE)))

        self.qqq = self.add_equity(m7.BENCHMARK, Resolution.DAILY).symbol
        self.set_benchmark(self.qqq)
        self.treasury = self.add_equity(m7.TREASURY, Resolution.DAILY).symbol
        self.symbols = {t: self.add_equity(t, Resolution.DAILY).symbol for t in m7.UNIVERSE}
        self.sma200 = {}
        self.atr20 = {}
        for ticker, symbol in self.symbols.items():
            self.sma200[ticker] = self.sma(symbol, 200, Resolution.DAILY)
            self.atr20[ticker] = self.atr(symbol, 20, MovingAverageType.SIMPLE, Resolution.DAILY)
        self.set_warm_up(WARMUP_BARS, Resolution.DAILY)

        self.timeline = m7.model_timeline(self.object_store, log=self.log, inference="auto")  # numpy forward pass
        if self.signal == "lstm" and not self.timeline.cutoffs():
            self.timeline.as_of(self.start_date)  # raises ModelNotFoundError naming the command that trains one
        self.first_qqq = 0.0
        first = self.symbols[m7.UNIVERSE[0]]
        self.schedule.on(self.date_rules.month_start(first), self.time_rules.after_market_open(first, 30),
                         self.rebalance)

    def _levels(self) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Last close, SMA(200) and ATR(20) per name (NaN while an indicator is not ready)."""
        prices = {t: float(self.securities[s].price) for t, s in self.symbols.items()}
        sma = {t: float(i.current.value) if i.is_ready else float("nan") for t, i in self.sma200.items()}
        atr = {t: float(i.current.value) if i.is_ready else float("nan") for t, i in self.atr20.items()}
        return prices, sma, atr

    def rebalance(self) -> None:
        if self.is_warming_up:
            return
        history = self.history(list(self.symbols.values()), m7.HISTORY_BARS, Resolution.DAILY)
        bars = per_symbol(history, columns=["open", "high", "low", "close"])
        if self.signal == "lstm":
            loaded = self.timeline.as_of(self.time)  # newest cutoff strictly before today
            scores = m7.lstm_scores(m7.trained_from_loaded(loaded), bars, self.time)
            source = f"model cutoff {loaded.cutoff}"
        elif self.signal == "momentum":
            scores = m7.momentum_12_1(wide(history, "close"), self.time)
            source = "12-1 momentum"
        else:
            scores = m7.random_scores(list(self.symbols), self.time, seed=self.random_seed)
            source = f"random seed {self.random_seed}"
        prices, sma, atr = self._levels()
        returns = None
        if self.vol_target is not None:
            returns = wide(history, "close").pct_change(fill_method=None).tail(VOL_WINDOW)
        targets = m7.select_and_weight(scores, prices, sma, atr, top_n=self.top_n, cap=self.cap,
                                       vol_target=self.vol_target, treasury=m7.TREASURY, returns=returns)
        picks = [t for t in targets if t != m7.TREASURY]
        self.log(f"REBALANCE {self.time.date()} signal={self.signal} {source} "
                 f"scores={ {t: round(float(v), 5) for t, v in scores.items()} } targets={targets}")
        if not picks:
            self.liquidate()
            self.set_holdings(self.treasury, 1.0)
        else:
            self.liquidate(self.treasury)
            for ticker, symbol in self.symbols.items():
                if ticker not in targets:
                    self.liquidate(symbol)
            for ticker in picks:
                self.set_holdings(self.symbols[ticker], targets[ticker])
        self.stops.on_rebalance(picks, prices, atr)
        for ticker in m7.UNIVERSE:
            self.plot("Picks", ticker, targets.get(ticker, 0.0))
        self.plot("Picks", m7.TREASURY, targets.get(m7.TREASURY, 0.0))

    def on_data(self, data: Slice) -> None:
        if self.is_warming_up:
            return
        prices, _, atr = self._levels()
        held = [t for t, s in self.symbols.items() if self.portfolio[s].invested]
        for ticker in self.stops.on_day(prices, atr, invested=held):
            self.liquidate(self.symbols[ticker], tag="Volatility/Stop Exit")
        qqq = float(self.securities[self.qqq].price)
        if qqq > 0:
            self.first_qqq = self.first_qqq or qqq
            self.plot("Equity vs QQQ", "Mag7 LSTM", self.portfolio.total_portfolio_value)
            self.plot("Equity vs QQQ", "QQQ", qqq / self.first_qqq * self.initial_cash)
