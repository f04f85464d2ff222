"""Sector rotation: monthly sector-ETF return forecasts from FRED macro features (Ridge, decision tree, LSTM,
or their ensemble); the source's conviction-tilted, shrunk weights. See docs/sector_rotation.md.

Modules: ``features`` (ETF sets, decision dates, the FRED feature panel as of release), ``dataset`` (labels,
the purged walk-forward), ``model`` (families, prediction), ``training`` (one cutoff, timelines, out-of-sample
forecasts), ``persistence`` (ObjectStore), ``rules`` (the allocation rule), ``evaluation`` (source metrics,
baselines, MAE, the research backtest), ``report`` (tables, figures, the real-data evaluation).
Keras is imported only when an LSTM is built.
"""

from __future__ import annotations

from .dataset import HORIZON, Panel, forward_returns, make_panel, splits
from .evaluation import (
    BacktestResult,
    backtest,
    baseline_forecasts,
    mae_table,
    metrics,
    metrics_table,
    momentum_forecast,
)
from .features import (
    BENCHMARK,
    ETF_SETS,
    FRED_SETS,
    HISTORY_MONTHS,
    SOURCE_FUNDS,
    assets,
    closes_before,
    fred_series,
    macro_features,
    month_starts,
    trailing_returns,
)
from .model import FAMILIES, LSTM_SIZES, TREE_GRIDS, Forecaster, build_lstm, lstm_parameter_count
from .persistence import STRATEGY, forecaster_of, model_timeline, save_timeline, timeline_name
from .rules import allocate, allocate_panel
from .training import LSTM_DEFAULTS, Trained, predictions, train_cutoff, train_timeline

__all__ = [
    "BENCHMARK", "ETF_SETS", "FAMILIES", "FRED_SETS", "HISTORY_MONTHS", "HORIZON", "LSTM_DEFAULTS", "LSTM_SIZES",
    "SOURCE_FUNDS", "STRATEGY", "TREE_GRIDS", "BacktestResult", "Forecaster", "Panel", "Trained", "allocate",
    "allocate_panel", "assets", "backtest", "baseline_forecasts", "build_lstm", "closes_before",
    "forecaster_of", "forward_returns", "fred_series", "lstm_parameter_count", "macro_features", "mae_table", "make_panel",
    "metrics", "metrics_table", "model_timeline", "momentum_forecast", "month_starts", "predictions",
    "save_timeline", "splits", "timeline_name", "train_cutoff", "train_timeline", "trailing_returns",
]
