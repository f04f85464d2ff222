"""Pairs reversion: an LSTM classifier per ETF pair predicts whether the spread reverts; trade it with both legs
(docs/pairs_reversion.md).

After each session's close (the daily bar), per pair: the spread of the training-normalised legs, its 7 features
(``models.pairs_reversion.compute_features``, the function research uses) and P(reversion) from the pair's
as-of model (newest cutoff strictly before the date). The rules (``PairTrader``): flat, P > the pair's threshold
and |z| > entry-z: long the spread (buy A, sell B) when z < 0, short it when z > 0; exit after hold-days
sessions or when z diverges beyond stop-z. A pair is skipped on a day when a leg has no new (only a filled-forward) bar. Orders are market-on-open, so they fill at the next open; LEAN's
default Interactive Brokers fees apply. signal=zscore is the plain z-score baseline: no classifier, exit on
reversion (z crosses 0) or the stop. Parameters (config.json): start, end, cash, pairs, signal, thresholds
(validation | source | a number), entry-z, hold-days, stop-z, notional, size-by-probability, hedge
(dollar | beta).
"""

from datetime import datetime
from typing import Any

from AlgorithmImports import *
from models import pairs_reversion as pr
from models.dates import as_timestamp
from models.lean_history import wide


class PairsReversion(QCAlgorithm):
    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start", "2019-01-01"))
        self.set_end_date(self._date_parameter("end", "2020-12-31"))
        self.set_cash(int(self.get_parameter("cash", 100000)))
        self.specs = pr.parse_pairs(self.get_parameter("pairs", "IEMG/EEM,ARKK/ARKW,TLT/SPTL,SHY/VGSH,SOXX/ITA"))
        self.signal = str(self.get_parameter("signal", "lstm")).strip().lower()
        if self.signal not in ("lstm", "zscore"):
            raise ValueError(f"parameter signal must be 'lstm' or 'zscore', got {self.signal!r}")
        self.thresholds = str(self.get_parameter("thresholds", "validation")).strip().lower()
        if self.thresholds not in ("validation", "source"):
            try:
                float(self.thresholds)
            except ValueError:
                raise ValueError("parameter thresholds must be 'validation', 'source' or a probability, got "
                                 f"{self.thresholds!r}") from None
        zscore = self.signal == "zscore"
        self.rules = pr.RuleParameters(
            entry_z=float(self.get_parameter("entry-z", 1.0)),
            hold_days=0 if zscore else int(self.get_parameter("hold-days", 5)),
            stop_z=float(self.get_parameter("stop-z", 3.0)), exit_on_reversion=zscore,
            notional=float(self.get_parameter("notional", 10000)),
            by_probability=str(self.get_parameter("size-by-probability", "true")).lower() == "true",
            hedge=str(self.get_parameter("hedge", "dollar")).strip().lower())
        self.symbols = {t: self.add_equity(t, Resolution.DAILY).symbol
                        for s in self.specs for t in (s.a, s.b)}
        self.traders = {s.name: pr.PairTrader(self.rules) for s in self.specs}
        self.timeline = pr.model_timeline(self.object_store, log=self.log, inference="auto")  # numpy forward pass
        if not self.timeline.cutoffs():
            self.timeline.as_of(self.start_date)  # raises ModelNotFoundError naming the command that trains one
        self.models: dict[str, Any] = {}
        self.cutoff: Any = None

    def _date_parameter(self, name: str, default: str) -> datetime:
        return as_timestamp(self.get_parameter(name, default), f"parameter {name}").to_pydatetime()

    def _as_of_models(self) -> dict[str, Any]:
        loaded = self.timeline.as_of(self.time)  # newest cutoff strictly before today
        if loaded.cutoff != self.cutoff:
            self.models = pr.pairs_from_loaded(loaded, [s.name for s in self.specs])
            self.cutoff = loaded.cutoff
        return self.models

    @staticmethod
    def _fresh(data: Slice, symbol: Symbol) -> bool:
        """True when today's slice holds a real (not filled-forward) bar for ``symbol``."""
        return bool(data.bars.contains_key(symbol) and not data.bars[symbol].is_fill_forward)

    def _threshold(self, model: Any) -> float:
        if self.thresholds == "validation":
            return float(model.probability_threshold)
        if self.thresholds == "source":
            return float(pr.SOURCE_THRESHOLDS[model.spec.name])
        return float(self.thresholds)

    def on_data(self, data: Slice) -> None:
        models = self._as_of_models()
        bars = max(pr.history_bars(m.spec.window, m.window_size) for m in models.values())
        closes = wide(self.history(list(self.symbols.values()), bars, Resolution.DAILY), "close")
        today = closes.index[-1]
        if today.date() != self.time.date():
            return  # no bar today (holiday data gap): no decision
        lstm = self.signal == "lstm"   # the z-score baseline needs no network
        probabilities = pr.latest_probabilities(models, closes) if lstm else {}   # one call a day, all pairs
        for spec in self.specs:
            stale = [t for t in (spec.a, spec.b) if not self._fresh(data, self.symbols[t])]
            if stale:  # a leg's data ended or paused: its price is filled forward, and its order would not fill
                self.debug(f"{self.time.date()} {spec.name}: no new bar for {', '.join(stale)}; no decision")
                continue
            model = models[spec.name]
            pair = closes[[spec.a, spec.b]]
            z = float(pr.zscore(float(pr.spread(pair, model.stats).iloc[-1]), model.stats))
            probability = probabilities.get(spec.name, float("nan"))
            self.plot(f"Spread {spec.name}", "z", z)
            threshold = self._threshold(model)
            action = self.traders[spec.name].on_close(z, probability if lstm else None, threshold)
            if action is None:
                continue
            a, b = self.symbols[spec.a], self.symbols[spec.b]
            if action.kind == "enter":
                size = probability if (lstm and self.rules.by_probability) else 1.0
                ratio = model.stats.hedge_ratio if self.rules.hedge == "beta" else 1.0
                qa, qb = pr.leg_quantities(action.direction, self.rules.notional * size, float(pair.iloc[-1, 0]),
                                           float(pair.iloc[-1, 1]), ratio)
                self.plot(f"Spread {spec.name}", "long entry" if action.direction > 0 else "short entry", z)
            else:
                qa, qb = -int(self.portfolio[a].quantity), -int(self.portfolio[b].quantity)
            tag = f"{spec.name} {action.kind} {action.reason}"
            for symbol, quantity in ((a, qa), (b, qb)):
                if quantity:
                    self.market_on_open_order(symbol, quantity, tag=tag)
            self.log(f"TRADE {self.time.date()} {spec.name} {action.kind} {action.reason} "
                     f"direction={action.direction} z={z:.4f} p={probability:.4f} threshold={threshold} "
                     f"cutoff={self.cutoff} qa={qa} qb={qb}")
