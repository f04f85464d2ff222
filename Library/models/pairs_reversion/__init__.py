"""ETF pairs: an LSTM classifier predicts whether a pair's spread reverts; trade the spread with both legs.
See docs/pairs_reversion.md.

Modules: ``features`` (training-window spread and its 7 features), ``dataset`` (reversion labels, purged
train/validation rows, LSTM windows), ``model`` (the Keras classifier), ``training`` (grid search on validation,
seeds, final fit; one cutoff or a timeline), ``persistence`` (ObjectStore), ``rules`` (entries, exits, sizes),
``evaluation`` (as-of signals, metrics, Engle-Granger, research backtest with LEAN's fills and fees),
``report`` (tables and figures). Keras is imported only when a network is built or loaded.
"""

from __future__ import annotations

from .dataset import reversion_labels
from .evaluation import (
    PairBacktest,
    backtest_pair,
    calibration,
    classification,
    combine,
    engle_granger,
    evaluate_test,
    ib_fee,
    out_of_sample,
    trade_summary,
)
from .features import FEATURE_NAMES, SpreadStats, compute_features, fit_stats, history_bars, spread, zscore
from .persistence import STRATEGY, load_as_of, model_timeline, pairs_from_loaded, save_cutoff, save_timeline
from .rules import PairTrader, RuleParameters, entry_direction, leg_quantities
from .training import (
    GRID,
    GRIDS,
    HYPERPARAMETERS,
    PAIRS,
    SOURCE_THRESHOLDS,
    PairSpec,
    TrainedPair,
    grid_configs,
    grid_search,
    latest_probabilities,
    parse_pairs,
    prepare,
    train_cutoff,
    train_timeline,
)

__all__ = [
    "FEATURE_NAMES", "SpreadStats", "fit_stats", "spread", "zscore", "compute_features", "history_bars",
    "reversion_labels", "PairSpec", "PAIRS", "GRID", "GRIDS", "HYPERPARAMETERS", "SOURCE_THRESHOLDS", "TrainedPair",
    "grid_configs", "grid_search", "latest_probabilities", "prepare", "train_cutoff", "train_timeline", "STRATEGY", "save_cutoff", "save_timeline",
    "model_timeline", "pairs_from_loaded", "load_as_of", "RuleParameters", "PairTrader", "entry_direction",
    "leg_quantities", "out_of_sample", "classification", "calibration", "engle_granger", "ib_fee",
    "PairBacktest", "backtest_pair", "combine", "trade_summary", "evaluate_test", "parse_pairs",
]

