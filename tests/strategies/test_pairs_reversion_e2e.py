"""algorithms/pairs_reversion end to end through qclocal on the planted ``pairs`` market: generate -> research
notebook (tiny grid, two cutoffs) -> backtest, which must agree order for order with the research backtest and
use only models cut off before each decision; plus the failure modes (no model, unknown pair)."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import date, datetime

import pandas as pd
import pytest
from conftest_workspace import make_workspace
from models import pairs_reversion as pr
from models.lean_history import wide
from models.pairs_reversion import report

from qclocal.backtest import backtest
from qclocal.data.calendars import session_dates
from qclocal.data.synthetic import generate
from qclocal.engine.enums import Resolution
from qclocal.object_store import ObjectStore
from qclocal.research import QuantBook, run_notebook

PAIRS = "IEMG/EEM,TLT/SPTL"
SMALL = {"pairs": PAIRS, "train_start": "2015-01-01", "cutoffs": "2019-01-01,2020-01-01",
         "test_start": "2019-01-01", "test_end": "2020-03-31", "grid": "tiny", "epochs": "3", "seeds": "0",
         "validation_days": "126", "n_jobs": "1"}
WINDOW = {"start": "2019-10-01", "end": "2020-03-31", "pairs": PAIRS}
TRADE = re.compile(r"TRADE (\d{4}-\d\d-\d\d) (\w+) (enter|exit) (\w+) .* cutoff=(\d{4}-\d\d-\d\d)")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("pairs"), "pairs_reversion")
    generate("pairs", root / "data", seed=7, start="2014-06-01", end="2020-12-31", progress=False)
    run_notebook(root / "research" / "pairs_reversion.ipynb", SMALL, echo=lambda *_: None)
    return root


@pytest.fixture(scope="module")
def lstm_run(workspace):
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", WINDOW, show_progress=False)
    assert result.status == "Completed", result.error
    return result


def _research(workspace, signal: str) -> dict[str, pr.PairBacktest]:
    """The research backtest of the same window with the saved models and QuantBook history."""
    qb = QuantBook(data_folder=workspace / "data", object_store=workspace / "storage")
    specs = pr.parse_pairs(PAIRS)
    tickers = [t for s in specs for t in (s.a, s.b)]
    history = qb.history([qb.add_equity(t, Resolution.DAILY).symbol for t in tickers], datetime(2015, 1, 1),
                         datetime(2020, 4, 1), Resolution.DAILY)
    closes, opens = wide(history, "close"), wide(history, "open")
    timeline = pr.model_timeline(ObjectStore(workspace / "storage"), log=lambda _: None)
    zscore = signal == "zscore"
    rules = pr.RuleParameters(hold_days=0 if zscore else 5, exit_on_reversion=zscore)
    out = {}
    for spec in specs:
        models = [pr.pairs_from_loaded(timeline.as_of(pd.Timestamp(c) + pd.Timedelta(days=1)), [spec.name])[spec.name]
                  for c in timeline.cutoffs()]
        signals = pr.out_of_sample(closes, models, WINDOW["start"], WINDOW["end"])
        out[spec.name] = pr.backtest_pair(opens[[spec.a, spec.b]], closes[[spec.a, spec.b]], signals, rules,
                                          use_probability=not zscore)
    return out


def _orders(result) -> pd.DataFrame:
    rows = [{"time": pd.Timestamp(o["lastFillTime"][:10]), "ticker": o["symbol"], "quantity": int(o["quantity"]),
             "price": float(o["price"])} for o in result.orders if o["status"] == "FILLED"]
    return pd.DataFrame(rows).sort_values(["time", "ticker"]).reset_index(drop=True)


@pytest.mark.parametrize("signal", ["lstm", "zscore"])
def test_qclocal_backtest_agrees_with_the_research_backtest(workspace, lstm_run, signal):
    result = lstm_run if signal == "lstm" else backtest(
        workspace / "algorithms" / "pairs_reversion", dict(WINDOW, signal="zscore"), show_progress=False)[0]
    assert result.status == "Completed", result.error
    research = _research(workspace, signal)
    expected = pd.concat([r.orders for r in research.values()])
    expected = expected.assign(time=pd.to_datetime(expected["time"]))[["time", "ticker", "quantity", "price"]]
    expected = expected.sort_values(["time", "ticker"]).reset_index(drop=True)
    got = _orders(result)
    assert len(got) >= 8, "too few trades to compare"
    pd.testing.assert_frame_equal(got[["time", "ticker", "quantity"]], expected[["time", "ticker", "quantity"]])
    assert (got["price"] - expected["price"]).abs().max() < 1e-6          # both filled at the next open
    research_pnl = sum(pr.trade_summary(r)["pnl"] for r in research.values())
    net = float(result.statistics["End Equity"]) - float(result.statistics["Start Equity"])
    # qclocal marks the end at the last close, as research does; open orders at the end are not filled
    assert net == pytest.approx(research_pnl, abs=0.05)


def test_every_decision_uses_a_model_cut_off_before_it_and_holds_five_sessions(lstm_run):
    trades = [m.groups() for m in map(TRADE.search, lstm_run.logs) if m]
    assert trades
    assert all(date.fromisoformat(cutoff) < date.fromisoformat(day) for day, *_, cutoff in trades)
    assert {cutoff for *_, cutoff in trades} == {"2019-01-01", "2020-01-01"}   # the timeline switches in 2020
    days = session_dates("2019-10-01", "2020-03-31")
    held = []
    for pair in ("IEMG_EEM", "TLT_SPTL"):
        own = [t for t in trades if t[1] == pair]
        for (d0, _, k0, _, _), (d1, _, k1, r1, _) in zip(own, own[1:], strict=False):
            if k0 == "enter" and k1 == "exit" and r1 == "hold":
                held.append(days.get_loc(pd.Timestamp(d1)) - days.get_loc(pd.Timestamp(d0)))
    assert held and set(held) == {5}      # decided 5 sessions apart, so filled 5 sessions apart (both MOO)
    assert any(c.startswith("Spread IEMG_EEM") for c in lstm_run.charts)


def test_no_model_unknown_pair_and_bad_threshold_stop_with_clear_errors(workspace, tmp_path):
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", WINDOW, object_store=tmp_path / "empty",
                         show_progress=False)
    assert result.status == "RuntimeError"
    assert "qclocal research research/pairs_reversion.ipynb" in result.error and not result.orders
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", dict(WINDOW, pairs="IEMG/EEM,SHY/VGSH"),
                         show_progress=False)
    assert result.status == "RuntimeError" and "no pair SHY_VGSH" in result.error
    assert "--parameter pairs SHY/VGSH" in result.error
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", dict(WINDOW, pairs="IEMG/XYZ"),
                         show_progress=False)
    assert result.status == "RuntimeError" and "unknown pair 'IEMG_XYZ'" in result.error
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", dict(WINDOW, thresholds="high"),
                         show_progress=False)
    assert result.status == "RuntimeError" and "parameter thresholds must be" in result.error


def test_a_leg_whose_data_ended_gets_no_decision_and_no_unhedged_order(workspace, tmp_path):
    """SPTL's data ends on 2020-01-31: its price is filled forward after that, so TLT_SPTL must not trade."""
    data = tmp_path / "data"
    shutil.copytree(workspace / "data", data)
    daily = data / "equity" / "usa" / "daily" / "sptl.zip"
    with zipfile.ZipFile(daily) as z:
        rows = z.read("sptl.csv").decode().splitlines()
    with zipfile.ZipFile(daily, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("sptl.csv", "\n".join(r for r in rows if r[:8] <= "20200131") + "\n")
    result, _ = backtest(workspace / "algorithms" / "pairs_reversion", dict(WINDOW, signal="zscore"),
                         data_folder=data, show_progress=False)
    assert result.status == "Completed", result.error
    late = [m.groups() for m in map(TRADE.search, result.logs) if m and m.group(1) > "2020-01-31"]
    assert not [t for t in late if t[1] == "TLT_SPTL"]
    assert any("TLT_SPTL: no new bar for SPTL" in line for line in result.logs)
    legs = [o for o in result.orders if o["symbol"] in ("TLT", "SPTL")]
    assert all(o["status"] == "FILLED" for o in legs)   # no leg left waiting for a bar that never comes


def test_report_command_reads_lean_and_csv_folders_and_takes_the_dates(workspace, tmp_path, capsys):
    args = ["--object-store", str(workspace / "storage"), "--pairs", PAIRS, "--test-start", WINDOW["start"],
            "--test-end", WINDOW["end"]]
    lean = report.run_report(workspace / "data", workspace / "storage", pairs=PAIRS, train_end="2019-12-31",
                             test_start=WINDOW["start"], test_end=WINDOW["end"])
    research = _research(workspace, "lstm")
    assert lean.trades.loc["combined", "pnl (lstm)"] == pytest.approx(
        sum(pr.trade_summary(r)["pnl"] for r in research.values()), abs=0.01)
    assert {str(c)[:10] for s in lean.signals.values() for c in s["cutoff"]} == {"2019-01-01", "2020-01-01"}
    early = report.run_report(workspace / "data", workspace / "storage", pairs=PAIRS, train_end="2019-06-30",
                              test_start=WINDOW["start"], test_end=WINDOW["end"])
    assert {str(c)[:10] for s in early.signals.values() for c in s["cutoff"]} == {"2019-01-01"}
    # the same market as Yahoo-style CSV.GZ files: imported on the fly, same results
    qb = QuantBook(data_folder=workspace / "data", object_store=workspace / "storage")
    tickers = ["IEMG", "EEM", "TLT", "SPTL"]
    bars = qb.history([qb.add_equity(t, Resolution.DAILY).symbol for t in tickers], datetime(2015, 1, 1),
                      datetime(2020, 4, 1), Resolution.DAILY)
    (tmp_path / "ohlcv").mkdir()
    for t in tickers:
        frame = pd.DataFrame({k: wide(bars, k)[t] for k in ("open", "high", "low", "close", "volume")})
        frame.index = frame.index.strftime("%Y-%m-%d")
        frame.assign(adj=frame["close"]).rename(columns=str.title).rename(columns={"Adj": "Adj Close"}).to_csv(
            tmp_path / "ohlcv" / f"{t}.csv.gz", index_label="Date")
    report.main([*args, "--data", str(tmp_path), "--train-end", "2019-12-31", "--json", str(tmp_path / "r.json")])
    assert "research backtests" in capsys.readouterr().out
    from_csv = json.loads((tmp_path / "r.json").read_text())["trades"]
    assert from_csv["combined"]["pnl (lstm)"] == pytest.approx(lean.trades.loc["combined", "pnl (lstm)"], abs=0.05)
    with pytest.raises(SystemExit, match="no pairs_reversion model"):
        report.run_report(workspace / "data", workspace / "storage", pairs=PAIRS, train_end="2018-06-30")
