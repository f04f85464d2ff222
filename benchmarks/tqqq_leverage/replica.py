"""Where a tqqq_leverage replica's tracking error comes from (issue 15): one qclocal backtest, its data, its models.

    nice .venv/bin/python benchmarks/tqqq_leverage/replica.py algorithms/tqqq_leverage/backtests/<time> \\
        --data-folder /work/tqqq-data/data --object-store /work/tqqq-data/storage

Reads the backtest's own records (the "Replication" chart's daily returns of the replica and of TQQQ, the order
events, the "Leverage" chart's predictions) and, from the data folder and the ObjectStore, QQQ's adjusted open and
close, TQQQ, and the predictions of the same model timeline as the research notebook scores them (each session
with the model of the last cutoff before it). Prints:

- the model-level tracking error on the notebook's window and on the replica's sessions;
- the split of ``replica - TQQQ`` per session (``models.tqqq_leverage.evaluation.replica_attribution``) into the
  segment held at the drifted previous size, the new position's sizing, fees, cash flows (financing), the model's
  drag (which a QQQ position cannot hold) and the model-level error, with each part's own volatility, the
  tracking error without it, and per year;
- checks: the ledger rebuilt from the fills reproduces the replica's returns; the cash flows against the
  financing rule (T-bill + spread, ACT/360); the algorithm's predictions against the notebook's.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Library"))
sys.path.insert(0, str(REPO))

from models.lean_history import wide  # noqa: E402
from models.store import ModelTimeline  # noqa: E402
from models.tqqq_leverage import timeline_name  # noqa: E402
from models.tqqq_leverage.dataset import align_inputs  # noqa: E402
from models.tqqq_leverage.evaluation import attribution_table, replica_attribution  # noqa: E402
from models.tqqq_leverage.model import predict_frame  # noqa: E402
from models.tqqq_leverage.networks import CUSTOM_OBJECTS  # noqa: E402
from models.tqqq_leverage.persistence import model_from_loaded  # noqa: E402

from qclocal.engine.enums import Resolution  # noqa: E402
from qclocal.object_store import ObjectStore  # noqa: E402
from qclocal.research import QuantBook  # noqa: E402

ANNUAL = np.sqrt(252)


def te(values: pd.Series) -> float:
    return float(values.std() * ANNUAL)


def session_date(stamp: pd.Timestamp) -> pd.Timestamp:
    """Exchange date of a chart point (exchange time stored as seconds) or an order event (UTC)."""
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("America/New_York").tz_localize(None)
    return stamp.normalize()


def chart(result: dict, name: str, series: str) -> pd.Series:
    points = result["charts"][name][series]
    return pd.Series([p["y"] for p in points], index=[pd.Timestamp(p["x"], unit="s") for p in points])


def market(data_folder: Path, start: datetime, end: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's inputs and QQQ's adjusted open and close, as the notebook and the algorithm read them."""
    qb = QuantBook(data_folder=data_folder)
    symbols = [qb.add_equity(t, Resolution.DAILY).symbol for t in ("QQQ", "TQQQ")]
    symbols += [qb.add_index(t, Resolution.DAILY).symbol for t in ("VIX", "VIX3M", "IRX", "TNX")]
    history = qb.history(symbols, start, end, Resolution.DAILY)
    closes, opens = wide(history, "close"), wide(history, "open")
    inputs = align_inputs(closes["QQQ"], closes.get("TQQQ"), closes["VIX"], closes["VIX3M"], closes["IRX"],
                          closes["TNX"])
    return inputs, pd.DataFrame({"open": opens["QQQ"], "close": closes["QQQ"]}).dropna()


def notebook_predictions(store: Path, variant: str, inputs: pd.DataFrame) -> pd.DataFrame:
    """Per session: the leverage and drag predicted at the previous close by the last model before it."""
    timeline = ModelTimeline(ObjectStore(store), timeline_name(variant), log=lambda _: None,
                             custom_objects=CUSTOM_OBJECTS)
    cutoffs, parts = timeline.cutoffs(), []
    for k, cutoff in enumerate(cutoffs):
        model = model_from_loaded(timeline.as_of(cutoff + timedelta(days=1)))
        stop = pd.Timestamp(cutoffs[k + 1]) - pd.Timedelta(days=1) if k + 1 < len(cutoffs) else None
        parts.append(predict_frame(model, inputs).shift(1).loc[pd.Timestamp(cutoff):stop])
    return pd.concat(parts)


def sessions_of(result: dict, events: list[dict], inputs: pd.DataFrame, qqq: pd.DataFrame,
                predictions: pd.DataFrame) -> pd.DataFrame:
    """The table :func:`replica_attribution` reads, from the backtest's records and the data. The chart starts at
    100 on the close before the first invested session; the equity is scaled to the backtest's end equity."""
    growth = chart(result, "Replication", "Replica")
    growth.index = [session_date(t) for t in growth.index]
    replica = growth / growth.shift(1).fillna(100.0) - 1
    scale = float(str(result["statistics"]["End Equity"]).replace(",", "")) / growth.iloc[-1]
    equity = scale * growth
    fills = pd.DataFrame([(session_date(pd.Timestamp(e["time"])), e["fillPrice"], e["fillQuantity"], e["orderFee"])
                          for e in events if e["status"] == "FILLED"], columns=["session", "price", "qty", "fee"])
    if fills.session.duplicated().any():
        raise SystemExit("more than one fill in a session: the attribution assumes one order a session")
    fills = fills.set_index("session")
    days = qqq.index[(qqq.index >= fills.index.min()) & (qqq.index <= replica.index[-1])]
    shares_after = fills["qty"].reindex(days, fill_value=0.0).cumsum()
    returns = inputs[["qqq", "tqqq"]].pct_change()
    table = pd.DataFrame({
        "r_qqq": returns["qqq"], "r_tqqq": returns["tqqq"], "leverage": predictions["leverage"],
        "drag": predictions["drag"], "close_prev": qqq["close"].shift(1), "close": qqq["close"],
        "fill_price": fills["price"].reindex(qqq.index).fillna(qqq["close"]),
        "shares_before": shares_after.shift(1, fill_value=0.0), "shares_after": shares_after,
        "equity_prev": equity.shift(1, fill_value=100 * scale), "replica": replica,
        "fees": fills["fee"].reindex(qqq.index, fill_value=0.0), "irx_prev": inputs["irx"].shift(1)})
    return table.loc[replica.index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backtest", type=Path, help="a qclocal backtest folder of algorithms/tqqq_leverage")
    parser.add_argument("--data-folder", type=Path, required=True)
    parser.add_argument("--object-store", type=Path, required=True)
    parser.add_argument("--variant", default="compact")
    parser.add_argument("--spread", type=float, default=0.004, help="the backtest's financing-spread")
    parser.add_argument("--csv", type=Path, default=None, help="write the per-session attribution here")
    args = parser.parse_args(argv)
    result = json.loads(next(p for p in args.backtest.glob("*.json")
                             if not p.name.endswith("order-events.json") and not p.name.startswith(".")).read_text())
    events = json.loads(next(args.backtest.glob("*-order-events.json")).read_text())
    inputs, qqq = market(args.data_folder, datetime(2009, 1, 1), datetime(2031, 1, 1))
    predictions = notebook_predictions(args.object_store, args.variant, inputs)
    sessions = sessions_of(result, events, inputs, qqq, predictions)
    window = sessions.dropna(subset=["leverage"])
    returns = inputs[["qqq", "tqqq"]].pct_change()
    model_error = (returns["tqqq"] - predictions["leverage"] * returns["qqq"] - predictions["drag"]).dropna()
    print(f"backtest {args.backtest.name}: statistic 'Tracking Error vs TQQQ' "
          f"{result['statistics'].get('Tracking Error vs TQQQ')}, {len(sessions)} sessions "
          f"{sessions.index[0].date()}..{sessions.index[-1].date()}")
    print(f"model level, notebook window {model_error.index[0].date()}..{model_error.index[-1].date()} "
          f"({len(model_error)} sessions): {te(model_error):.2%}; on the replica's sessions: "
          f"{te(model_error.reindex(window.index)):.2%}")
    parts = replica_attribution(window)
    print(f"checks: TQQQ return of the backtest vs data max |diff| "
          f"{(chart_tqqq(result) - sessions['r_tqqq']).abs().max():.1e}")
    borrowed = -(window["equity_prev"] - window["shares_before"] * window["close_prev"]).clip(upper=0)
    days = pd.Series(window.index, index=window.index).diff().dt.days
    financing = borrowed * (window["irx_prev"] / 100 + args.spread) * days / 360 / window["equity_prev"]
    print(f"        cash flows vs the financing rule: mean {parts['cash'].mean() * 252:+.3%}/yr vs "
          f"{-financing.mean() * 252:+.3%}/yr; residual volatility {te(parts['cash'] + financing):.3%}/yr")
    plotted = chart(result, "Leverage", "Predicted")
    plotted.index = [session_date(t) for t in plotted.index]
    plotted = plotted.groupby(level=0).last()
    print(f"        the algorithm's predictions: {len(plotted)}; the notebook's leverage on the same sessions "
          f"differs by at most {max_prediction_gap(plotted, predictions, qqq.index):.2e}")
    table = attribution_table(parts)
    print("\nreplica - TQQQ, per session; annualised (alone: the part's own volatility; without: tracking error "
          "without it; mean: per year)")
    print(table.to_string(float_format=lambda v: f"{v:8.2%}"))
    print(f"replica vs leverage x QQQ (before_fill + after_fill + fees + cash): "
          f"{te(parts[['before_fill', 'after_fill', 'fees', 'cash']].sum(axis=1)):.2%}")
    years = parts.groupby(parts.index.year)
    print("\nper year (annualised volatility of each part)")
    print((years.std() * ANNUAL).to_string(float_format=lambda v: f"{v:7.2%}"))
    if args.csv is not None:
        parts.join(window, rsuffix="_input").to_csv(args.csv)
    return 0


def chart_tqqq(result: dict) -> pd.Series:
    growth = chart(result, "Replication", "TQQQ")
    growth.index = [session_date(t) for t in growth.index]
    return growth / growth.shift(1).fillna(100.0) - 1


def max_prediction_gap(plotted: pd.Series, predictions: pd.DataFrame, sessions: pd.DatetimeIndex) -> float:
    """The algorithm plots each prediction when it is made; match it to the session it is for (the next one for
    a decision at or after the close, the same one before it) and compare with the notebook's."""
    gaps = []
    for day, value in plotted.items():
        position = sessions.searchsorted(day)
        target = sessions[min(position + 1, len(sessions) - 1)]
        notebook = predictions["leverage"].get(target, np.nan)
        same_day = predictions["leverage"].get(day, np.nan)
        gaps.append(min(abs(value - notebook), abs(value - same_day)))
    return float(np.nanmax(gaps))


if __name__ == "__main__":
    raise SystemExit(main())
