"""algorithms/mag7_lstm end to end through qclocal: synthetic data -> research notebook -> backtest.

- Features: what the algorithm computes from ``history()`` at each rebalance equals research's features (the
  same library function on QuantBook history), and holds no bar dated on or after the decision date.
- As-of models: a saved timeline with cutoffs on, just before and after rebalance dates; every rebalance must use
  the newest cutoff strictly before its date, and score exactly as research scores with that model.
- A missing model stops the backtest with the command that trains one.
- The rules on a crafted price path: two capped buys, the trailing-stop exit on the bar whose close falls through
  the (raised) stop, and the BIL fallback (liquidate, 100% BIL).
- The pipeline (generate -> notebook -> backtest) at small settings; the full comparison (the LSTM beats the
  momentum ablation in qclocal backtests, IC above the no-skill bound) is marked slow.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from mag7_workspace import make_workspace, rebalances, run_backtest, run_research
from models import mag7_lstm as m7
from models.lean_history import per_symbol

from qclocal.data import calendars, writers
from qclocal.data.synthetic import generate
from qclocal.engine.algorithm import QCAlgorithm
from qclocal.engine.enums import Resolution
from qclocal.engine.runner import run_algorithm
from qclocal.object_store import ObjectStore
from qclocal.research import QuantBook

TICKERS = (*m7.UNIVERSE, m7.BENCHMARK, m7.TREASURY)
COMMAND = "qclocal research research/mag7_lstm.ipynb"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mag7-data")
    generate("mag7", folder, seed=7, progress=False)     # 2012-01-01 .. 2020-12-31
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, data):
    return make_workspace(tmp_path_factory.mktemp("ws") / "workspace", data)


@pytest.fixture(scope="module")
def research_bars(data) -> dict[str, pd.DataFrame]:
    """Research's view: QuantBook history over the whole market, per ticker."""
    qb = QuantBook(data_folder=data, object_store=data / "unused-store")
    symbols = [qb.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
    history = qb.history(symbols, datetime(2011, 1, 1), datetime(2021, 1, 1), Resolution.DAILY)
    return per_symbol(history, columns=["open", "high", "low", "close"])


# ---------------------------------------------------------------------------------------------- features

class FeatureProbe(QCAlgorithm):
    """Does what the algorithm does at each rebalance: history(HISTORY_BARS) -> per_symbol -> features."""

    def initialize(self):
        self.set_start_date(2019, 1, 1)
        self.set_end_date(2019, 6, 30)
        self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in m7.UNIVERSE]
        self.seen: dict = {}
        self.schedule.on(self.date_rules.month_start(self.symbols[0]),
                         self.time_rules.after_market_open(self.symbols[0], 30), self.grab)

    def grab(self):
        bars = per_symbol(self.history(self.symbols, m7.HISTORY_BARS, Resolution.DAILY),
                          columns=["open", "high", "low", "close"])
        self.seen[pd.Timestamp(self.time.date())] = {t: m7.compute_features(b) for t, b in bars.items()}


def test_features_from_backtest_history_equal_research_features(data, research_bars, tmp_path):
    probe = FeatureProbe()
    result = run_algorithm(probe, data, tmp_path / "store", {})
    assert result.status == "Completed", result.error
    assert len(probe.seen) == 6
    research = {t: m7.compute_features(research_bars[t]) for t in m7.UNIVERSE}
    for day, features in probe.seen.items():
        for ticker, frame in features.items():
            # no look-ahead: the newest row is the previous session's, and nothing is dated on or after the day
            assert frame.index.max() < day
            expected = research[ticker].loc[research[ticker].index < day].tail(m7.LOOKBACK)
            assert frame.index[-1] == expected.index[-1]
            got = frame.tail(m7.LOOKBACK)
            pd.testing.assert_index_equal(got.index, expected.index)
            np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-8)


# ---------------------------------------------------------------------------------------------- models

def _fake_timeline(store: ObjectStore, cutoffs: list[str]) -> None:
    """Untrained (random) networks saved as a timeline: enough to check which model each rebalance loads."""
    import keras

    for k, cutoff in enumerate(cutoffs):
        keras.utils.set_random_seed(100 + k)
        day = date.fromisoformat(cutoff)
        model = m7.TrainedModel(networks=(m7.model.build_network("small"),), cutoff=day,
                                feature_names=m7.FEATURE_NAMES, hyperparameters={"arch": "small", "lookback": 60},
                                train_window=(date(2013, 1, 2), (pd.Timestamp(day) - pd.Timedelta(days=30)).date()),
                                validation_window=None)
        m7.save_trained(store, model)


def test_missing_model_stops_the_backtest_with_the_training_command(workspace, tmp_path):
    result = run_backtest(workspace, tmp_path / "empty-store", "missing", start="2020-01-01", end="2020-02-28")
    assert result.status == "RuntimeError"
    assert "ModelNotFoundError" in result.error and COMMAND in result.error and "mag7_lstm/" in result.error
    assert not result.orders


def test_each_rebalance_uses_the_newest_model_cut_off_before_it(workspace, research_bars, tmp_path):
    store_dir = tmp_path / "store"
    # on a rebalance date (2020-03-02), the day before one (2020-03-31, 2020-05-31), and after the end
    cutoffs = ["2019-12-31", "2020-03-02", "2020-03-31", "2020-05-31", "2020-07-15"]
    _fake_timeline(ObjectStore(store_dir), cutoffs)
    result = run_backtest(workspace, store_dir, "as-of", start="2020-01-01", end="2020-06-30")
    assert result.status == "Completed", result.error
    used = {r.day: r.cutoff for r in rebalances(result)}
    assert used == {date(2020, 1, 2): date(2019, 12, 31), date(2020, 2, 3): date(2019, 12, 31),
                    date(2020, 3, 2): date(2019, 12, 31),    # its own cutoff day: not yet usable
                    date(2020, 4, 1): date(2020, 3, 31), date(2020, 5, 1): date(2020, 3, 31),
                    date(2020, 6, 1): date(2020, 5, 31)}
    assert all(cutoff < day for day, cutoff in used.items())
    # the algorithm scores exactly as research does with the same model and research's history
    timeline = m7.model_timeline(ObjectStore(store_dir), log=lambda _: None)
    universe = {t: research_bars[t] for t in m7.UNIVERSE}
    for r in rebalances(result):
        model = m7.trained_from_loaded(timeline.as_of(r.day))
        expected = m7.lstm_scores(model, universe, r.day)
        assert set(r.scores) == set(m7.UNIVERSE)
        for ticker, value in r.scores.items():
            assert value == pytest.approx(expected[ticker], abs=1e-5)   # the log rounds to 5 decimals


# ---------------------------------------------------------------------------------------------- rules

START, END = date(2020, 6, 1), date(2020, 9, 30)


def _crafted_market(folder):
    """AAPL and MSFT qualify in June and July (equal volatility: 50/50, each capped at 40%). AAPL falls 20% on
    one bar, through its trailing stop. By August MSFT has slipped below its SMA(200) without reaching its stop,
    and every other name trends down: nothing qualifies. NVDA, falling until July and then rising 1.5% a day,
    qualifies in September. Ranges are +-2% of the close for the stocks (ATR 4%)."""
    sessions = pd.DatetimeIndex(calendars.session_dates(date(2019, 1, 2), END))
    n = len(sessions)
    t = np.arange(n, dtype=float)
    july = int(sessions.searchsorted(pd.Timestamp("2020-07-01")))
    closes = {name: 200.0 * 0.999 ** t for name in m7.UNIVERSE}                # below SMA, negative momentum
    aapl = 100.0 * 1.001 ** t
    drop = july + 5
    aapl[drop:] *= 0.80                                                            # through the stop
    closes["AAPL"] = aapl
    msft = 100.0 * 1.0003 ** np.minimum(t, july - 10)                              # rises, then flat ...
    msft[july:] *= np.maximum(1 - 0.0025 * (t[july:] - july), 0.93)              # ... then slips 7%
    closes["MSFT"] = msft
    nvda = closes["NVDA"].copy()
    nvda[july:] = nvda[july] * 1.015 ** (t[july:] - july)
    closes["NVDA"] = nvda
    closes["QQQ"] = 250.0 * 1.0003 ** t
    closes["SPY"] = 300.0 * 1.0002 ** t
    closes["BIL"] = 91.5 * 1.00002 ** t
    for ticker, close in closes.items():
        wide_range = 0.02 if ticker in m7.UNIVERSE else 0.001
        bars = pd.DataFrame({"open": close, "high": close * (1 + wide_range), "low": close * (1 - wide_range),
                             "close": close, "volume": 1e7}, index=sessions)
        writers.write_equity_bars(folder, ticker, bars)
        writers.write_map_file(folder, ticker, sessions[0].date())
    writers.write_interest_rate_file(folder, pd.Series([1.0], index=pd.DatetimeIndex([sessions[0]])))
    return sessions, closes, drop


def _stop_path(sessions, closes, ticker, rebalance_day, multiple=2.5):
    """(first session after the rebalance whose close is below the stop, or None; the stop before it): the stop
    is set at the rebalance from the previous close and ATR(20), then raised with each later close."""
    bars = pd.DataFrame({"high": closes[ticker] * 1.02, "low": closes[ticker] * 0.98, "close": closes[ticker]},
                        index=sessions)
    atr = m7.atr(bars)
    i = int(sessions.searchsorted(pd.Timestamp(rebalance_day)))
    stop = closes[ticker][i - 1] - multiple * atr.iloc[i - 1]
    for j in range(i, len(sessions)):
        if closes[ticker][j] < stop:
            return sessions[j].date(), stop
        stop = max(stop, closes[ticker][j] - multiple * atr.iloc[j])
    return None, stop


def result_equity(result, day: date) -> float:
    """Portfolio value at the last sample before ``day`` (the rebalance sizes off the previous close)."""
    equity = result.equity
    return float(equity[equity.index < pd.Timestamp(day)].iloc[-1])


def test_trailing_stop_and_bil_fallback_orders_on_a_crafted_path(tmp_path):
    folder = tmp_path / "crafted"
    sessions, closes, drop = _crafted_market(folder)
    ws = make_workspace(tmp_path / "ws", folder)
    result = run_backtest(ws, tmp_path / "store", "crafted", signal="momentum", start=START.isoformat(),
                          end=END.isoformat())
    assert result.status == "Completed", result.error
    days = {r.day: r.targets for r in rebalances(result)}
    assert days == {date(2020, 6, 1): {"AAPL": 0.4, "MSFT": 0.4}, date(2020, 7, 1): {"AAPL": 0.4, "MSFT": 0.4},
                    date(2020, 8, 3): {"BIL": 1.0}, date(2020, 9, 1): {"NVDA": 0.4}}
    orders = pd.DataFrame(result.orders)
    orders["day"] = pd.to_datetime(orders["time"]).dt.date
    assert (orders["status"] == "FILLED").all()
    held = orders.groupby("symbol")["quantity"].cumsum()
    orders["value"] = orders["quantity"] * orders["price"]

    def on(day):
        return orders[orders["day"] == day]

    def about(value, target, price):
        """Whole shares of a target value, less LEAN's 0.25% cash buffer: within one share below."""
        return target * 0.9975 - price - 1 < value <= target

    # June: buy both names, each 40% of $10,000
    june = on(date(2020, 6, 1))
    assert list(june["symbol"]) == ["AAPL", "MSFT"] and (june["quantity"] > 0).all()
    assert all(about(r.value, 4000, r.price) for r in june.itertuples())
    # July: both still picked; only share-level top-ups back to 40%
    july = on(date(2020, 7, 1))
    assert set(july["symbol"]) <= {"AAPL", "MSFT"} and (july["quantity"].abs() <= 2).all()
    # the stop: AAPL is sold in full on the bar whose close fell through it, tagged as the source tags it
    stop_day, stop = _stop_path(sessions, closes, "AAPL", date(2020, 7, 1))
    assert stop_day == sessions[drop].date() and closes["AAPL"][drop] < stop < closes["AAPL"][drop - 1]
    exits = orders[orders["tag"] == "Volatility/Stop Exit"]
    assert list(exits["symbol"]) == ["AAPL"] and exits["day"].iloc[0] == stop_day
    assert held[exits.index[0]] == 0                                    # the whole position
    # MSFT slipped below its SMA(200) but stayed above its stop: no stop exit for it
    assert _stop_path(sessions, closes, "MSFT", date(2020, 7, 1))[0] is None
    # August: nothing qualifies -> liquidate everything (MSFT, in full) and hold 100% BIL
    august = on(date(2020, 8, 3))
    assert list(august["symbol"]) == ["MSFT", "BIL"]
    assert held[august.index[0]] == 0 and august["quantity"].iloc[1] > 0
    bil = august.iloc[1]
    assert about(bil["value"], result_equity(result, date(2020, 8, 3)), bil["price"])    # 100% of the portfolio
    # September: NVDA qualifies -> sell all of BIL, buy NVDA at its 40% cap
    september = on(date(2020, 9, 1))
    assert list(september["symbol"]) == ["BIL", "NVDA"]
    assert held[september.index[0]] == 0
    nvda = september.iloc[1]
    assert about(nvda["value"], 0.4 * result_equity(result, date(2020, 9, 1)), nvda["price"])
    assert len(orders) == len(june) + len(july) + 1 + 2 + 2
    # the picks chart and the equity-vs-QQQ chart are plotted
    assert {"AAPL", "MSFT", "NVDA", "BIL"} <= set(result.charts["Picks"])
    assert set(result.charts["Equity vs QQQ"]) == {"Mag7 LSTM", "QQQ"}


# ---------------------------------------------------------------------------------------------- pipeline

def test_generate_research_backtest_at_small_settings(workspace, tmp_path):
    store = tmp_path / "store"
    out = run_research(workspace, store, refit="quarterly", size="tiny", epochs=1, seeds=2, start="2020-01-01",
                       end="2020-12-31")
    assert (out / "mag7_lstm.ipynb").is_file()
    timeline = m7.model_timeline(ObjectStore(store), log=lambda _: None)
    saved = timeline.cutoffs()
    assert saved == [date(2020, 1, 1), date(2020, 3, 31), date(2020, 6, 30), date(2020, 9, 30)]
    result = run_backtest(workspace, store, "pipeline", start="2020-01-01", end="2020-12-31")
    assert result.status == "Completed", result.error
    steps = rebalances(result)
    assert len(steps) == 12
    for step in steps:
        assert step.cutoff == max(c for c in saved if c < step.day)
    assert result.orders and "Picks" in result.charts
    assert result.statistics["Total Orders"] == str(len(result.orders))


@pytest.mark.slow
def test_lstm_beats_the_momentum_ablation_in_qclocal_backtests(workspace, research_bars, tmp_path):
    """The demo's pipeline at the notebook's "small" size: a quarterly timeline serving 2017-2020."""
    store = tmp_path / "store"
    run_research(workspace, store, refit="quarterly", size="small", epochs=4)
    lstm = run_backtest(workspace, store, "lstm")
    momentum = run_backtest(workspace, store, "momentum", signal="momentum")
    assert lstm.status == momentum.status == "Completed", (lstm.error, momentum.error)
    car = {name: float(r.statistics["Compounding Annual Return"].rstrip("%")) for name, r in
           (("lstm", lstm), ("momentum", momentum))}
    sharpe = {name: float(r.statistics["Sharpe Ratio"]) for name, r in (("lstm", lstm), ("momentum", momentum))}
    assert car["lstm"] > car["momentum"] + 3 and sharpe["lstm"] > sharpe["momentum"] + 0.1, (car, sharpe)
    # the saved timeline's out-of-sample IC clears the no-skill bound (3 standard errors, see
    # tests/models/mag7_lstm/test_mag7_scenario.py)
    timeline = m7.model_timeline(ObjectStore(store), log=lambda _: None)
    models = [m7.trained_from_loaded(timeline.as_of(pd.Timestamp(c) + pd.Timedelta(days=1)))
              for c in timeline.cutoffs()]
    universe = {t: research_bars[t] for t in m7.UNIVERSE}
    study = m7.evaluate(models, universe, start="2017-01-01", end="2020-12-31")
    dates = int(study.ranking.loc["lstm", "dates"])
    assert study.ranking.loc["lstm", "ic_mean"] > 3 / math.sqrt(7) / math.sqrt(dates)
    for step in rebalances(lstm):
        assert step.cutoff is not None and step.cutoff < step.day


# ---------------------------------------------------------------------------------------------- fills

def test_research_backtest_fills_as_the_qclocal_backtest_does(workspace, research_bars, tmp_path):
    """The momentum rule over 2019 at $1M: the same orders on the same days at the same prices (rebalances at
    the decision day's close, stops at the next open), and equity curves that differ only by LEAN's 0.25% cash
    buffer, whole shares and IB fees (measured: 0.12% median, 0.31% at most over the year)."""
    start, end, cash = date(2019, 1, 1), date(2019, 12, 31), 1_000_000
    lean = run_backtest(workspace, tmp_path / "store", "fills", signal="momentum", start=start.isoformat(),
                        end=end.isoformat(), cash=cash)
    assert lean.status == "Completed", lean.error
    bars = {t: research_bars[t].loc[:pd.Timestamp(end)] for t in m7.UNIVERSE}
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    rebalance = m7.month_starts(closes.index, start, end)
    research = m7.backtest_rule(bars, m7.momentum_panel(closes, rebalance), start=rebalance[0], end=end,
                                treasury=research_bars[m7.TREASURY]["close"], cost_bps=0.0, initial_cash=cash)
    orders = pd.DataFrame(lean.orders)
    orders = orders[orders["status"] == "FILLED"].copy()  # a stop on the last close fills after the window
    orders["day"] = pd.to_datetime(orders["lastFillTime"]).dt.normalize()
    ours = {(row.date, row.ticker, np.sign(row.value)) for row in research.orders.itertuples()}
    theirs = {(row.day, row.symbol, np.sign(row.quantity)) for row in orders.itertuples()}
    assert ours == theirs and len(ours) > 10
    for row in orders.itertuples():
        fill = research_bars[row.symbol].loc[row.day]
        expected = fill["open"] if row.tag == "Volatility/Stop Exit" else fill["close"]
        assert row.price == pytest.approx(expected, rel=1e-6), row
    lean_equity = lean.equity.groupby(lean.equity.index.normalize()).last()
    common = research.equity.index.intersection(lean_equity.index)
    gap = (research.equity[common] / lean_equity[common] - 1).abs()
    assert len(common) > 200 and gap.max() < 0.005, gap.describe()


def test_random_score_ablation_runs_the_same_rules(workspace, tmp_path):
    result = run_backtest(workspace, tmp_path / "store", "random", signal="random", start="2019-01-01",
                          end="2019-06-30", cash=100_000)
    assert result.status == "Completed", result.error
    lines = [line for line in result.logs if "REBALANCE" in line]
    assert len(lines) == 6 and all("signal=random random seed 0" in line for line in lines)
    assert len(pd.DataFrame(result.orders)) > 0
