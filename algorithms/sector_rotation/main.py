"""Sector rotation: monthly sector-ETF forecasts from FRED macro data, conviction-tilted weights
(docs/sector_rotation.md).

At each month start, 30 minutes after the open, the algorithm reads the FRED series its model was trained on
(``add_data(Fred, ...)``; qclocal delivers each value from the day after its release), builds the monthly
feature panel with the library function research uses, forecasts next month's return of every asset with the
newest model whose cutoff is strictly before today (``family``: ridge, tree, lstm, or ensemble = their mean;
``momentum`` (12-1), ``mean`` (each asset's mean monthly return since ``mean-start``) and ``equal`` are the
baselines), and sets the source's weights (``models.sector_rotation.allocate``).
Orders on daily data fill at today's close (market-on-close) with LEAN's fee model plus ``slippage`` (fraction
of price). Parameters (config.json): start, end, cash, family, etf-set (spdr | spdr9 | vanguard), shrinkage,
threshold, multiplier, fallback (positive | threshold), slippage, mean-start. The weights always sum to 1: the source's "5x"
is a tilt, and true leverage with a margin cost is research-only (``evaluation.backtest``).
"""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from AlgorithmImports import *
from models import sector_rotation as sr
from models.dates import as_timestamp
from models.lean_history import wide

MODEL_FAMILIES = ("ridge", "tree", "lstm")
FAMILIES = (*MODEL_FAMILIES, "ensemble", "momentum", "mean", "equal")
PRICE_DAYS = 400  # calendar days of closes: 12-1 momentum needs 13 month starts
WARMUP_DAYS = 7


class SectorRotation(QCAlgorithm):
    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start", "2019-01-01"))
        self.set_end_date(self._date_parameter("end", "2020-12-31"))
        self.initial_cash = int(self.get_parameter("cash", 100000))
        self.set_cash(self.initial_cash)
        self.family = str(self.get_parameter("family", "ridge")).strip().lower()
        if self.family not in FAMILIES:
            raise ValueError(f"parameter family must be one of {FAMILIES}, got {self.family!r}")
        self.assets = sr.assets(str(self.get_parameter("etf-set", "spdr")).strip().lower())
        self.shrinkage = float(self.get_parameter("shrinkage", 0.3))
        self.threshold = float(self.get_parameter("threshold", 0.15))
        self.multiplier = float(self.get_parameter("multiplier", 5))
        self.fallback = str(self.get_parameter("fallback", "positive"))
        slippage = float(self.get_parameter("slippage", 0.0005))
        self.mean_start = self._date_parameter("mean-start", "2000-01-01")

        self.symbols = {t: self.add_equity(t, Resolution.DAILY).symbol for t in self.assets}
        for symbol in self.symbols.values():
            self.securities[symbol].set_slippage_model(ConstantSlippageModel(slippage))
        self.spy = self.symbols[sr.BENCHMARK]
        self.set_benchmark(self.spy)

        families = MODEL_FAMILIES if self.family == "ensemble" else (self.family,)
        self.timelines = {f: sr.model_timeline(self.object_store, f, log=self.log, inference="auto")
                          for f in families if f in MODEL_FAMILIES}
        series: set[str] = set()
        for timeline in self.timelines.values():
            newest = timeline.as_of(self.end_date + timedelta(days=1))  # raises naming the training command
            series.update(newest.feature_names)
        self.fred = {s: self.add_data(Fred, s, Resolution.DAILY).symbol for s in sorted(series)}
        self.set_warm_up(timedelta(days=WARMUP_DAYS))  # prices are known at the first month start
        self.first_spy = 0.0
        self.schedule.on(self.date_rules.month_start(self.spy), self.time_rules.after_market_open(self.spy, 30),
                         self.rebalance)

    def _date_parameter(self, name: str, default: str) -> datetime:
        return as_timestamp(self.get_parameter(name, default), f"parameter {name}").to_pydatetime()

    def _forecast(self, closes: pd.DataFrame, dates: pd.DatetimeIndex) -> tuple[np.ndarray, str]:
        """Next month's forecast per asset, and where it came from."""
        if self.family == "momentum":
            return sr.momentum_forecast(closes, dates).iloc[-1].to_numpy(), "12-1 momentum"
        if self.family == "mean":
            mean = sr.baseline_forecasts(closes, dates)["historical_mean"].iloc[-1]
            return mean.to_numpy(), f"historical mean since {self.mean_start.date()}"
        if self.family == "equal":
            return np.zeros(len(self.assets)), "equal weight"
        history = self.history(list(self.fred.values()), timedelta(days=31 * sr.HISTORY_MONTHS), Resolution.DAILY)
        # a series without a value in the window (not yet published) is all-NaN: no change, as in research
        features = sr.macro_features(wide(history, "value").reindex(columns=list(self.fred)), dates)
        forecasts, cutoffs = [], []
        for family, timeline in self.timelines.items():
            loaded = timeline.as_of(self.time)  # newest cutoff strictly before today
            forecaster, outputs = sr.forecaster_of(loaded)
            if outputs != self.assets:
                raise ValueError(f"{loaded.key} forecasts {outputs}, the algorithm trades {self.assets}: train "
                                 f"with the same etf-set (qclocal research research/sector_rotation.ipynb)")
            forecasts.append(forecaster.forecast_last(features, loaded.feature_names))
            cutoffs.append(f"{family} cutoff {loaded.cutoff}")
        return np.mean(forecasts, axis=0), ", ".join(cutoffs)

    def rebalance(self) -> None:
        if self.is_warming_up:
            return
        # the decision dates come from SPY's sessions; only the price baselines read every asset's closes
        tickers = self.assets if self.family in ("momentum", "mean") else [sr.BENCHMARK]
        since = self.mean_start if self.family == "mean" else self.time - timedelta(days=PRICE_DAYS)
        history = self.history([self.symbols[t] for t in tickers], since, self.time, Resolution.DAILY)
        closes = wide(history, "close", tickers=tickers)
        today = pd.Timestamp(self.time.date())
        dates = sr.month_starts(closes.index.append(pd.DatetimeIndex([today])))
        forecast, source = self._forecast(closes, dates)
        if self.family == "equal":
            weights = pd.Series(1.0 / len(self.assets), index=self.assets)
        else:
            weights = sr.allocate(pd.Series(forecast, index=self.assets), shrinkage=self.shrinkage,
                                  threshold=self.threshold, multiplier=self.multiplier, fallback=self.fallback)
        self.log(f"REBALANCE {today.date()} family={self.family} {source} "
                 f"forecast={ {t: round(float(v), 5) for t, v in zip(self.assets, forecast, strict=True)} } "
                 f"weights={ {t: round(float(w), 5) for t, w in weights.items()} }")
        self.set_holdings([PortfolioTarget(self.symbols[t], float(w)) for t, w in weights.items()])
        for ticker, weight in weights.items():
            self.plot("Weights", ticker, float(weight))

    def on_data(self, data: Slice) -> None:
        if self.is_warming_up or not data.bars.contains_key(self.spy):
            return
        spy = float(self.securities[self.spy].price)
        if spy > 0:
            self.first_spy = self.first_spy or spy
            self.plot("Equity vs SPY", "Sector rotation", self.portfolio.total_portfolio_value)
            self.plot("Equity vs SPY", "SPY", spy / self.first_spy * self.initial_cash)
