"""Mag7 LSTM: an LSTM ranks 8 mega-cap tech stocks monthly; SMA(200) trend filter; inverse-volatility weights
capped at 40%; ATR trailing stops; BIL when nothing qualifies. See docs/mag7_lstm.md.

Modules: ``features`` (z-scored features, SMA/ATR), ``dataset`` (sequences and labels), ``model`` (the
networks and their as-of scores), ``training`` (one cutoff or a walk-forward timeline), ``persistence``
(ObjectStore), ``rules`` (selection, weights, trailing stops, the month-start schedule, the momentum and random
ablation scores), ``evaluation`` (IC, spread, performance, the research backtest, the out-of-sample study),
``report`` (plots and the real-data report).
Keras is imported only when a network is built or loaded.
"""

from __future__ import annotations

from .dataset import HORIZON, LOOKBACK, STRIDE, TRAIN_DAYS, SequenceSet, build_datasets, forward_return_sum
from .evaluation import (
    BacktestResult,
    Study,
    backtest_rule,
    buy_and_hold,
    comparison_table,
    equal_weight,
    evaluate,
    forward_returns,
    hit_rate,
    information_coefficients,
    member_score_panels,
    newey_west_t,
    performance,
    ranking_summary,
    seed_ic_table,
    top_bottom_spread,
    validation_ic,
)
from .features import FEATURE_NAMES, HISTORY_BARS, atr, compute_features, parabolic_sar, sma
from .model import lstm_score_panel, lstm_scores, model_as_of
from .persistence import (
    STRATEGY,
    load_as_of,
    model_timeline,
    save_timeline,
    save_trained,
    trained_from_loaded,
)
from .rules import (
    MAX_POSITION,
    RISK_PER_TRADE,
    STOP_ATR_MULTIPLE,
    TARGET_VOL,
    TOP_N,
    TREASURY,
    TrailingStops,
    momentum_12_1,
    momentum_panel,
    month_starts,
    random_scores,
    rebalance_cutoffs,
    select_and_weight,
)
from .training import (
    SEEDS,
    SIZES,
    CollapsedModelError,
    TrainedModel,
    refit_cutoffs,
    train,
    train_timeline,
    train_walk_forward,
    walk_forward_cutoffs,
)

UNIVERSE: tuple[str, ...] = ("AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "AMD")
BENCHMARK = "QQQ"

__all__ = [
    "UNIVERSE", "BENCHMARK", "TREASURY", "TOP_N", "MAX_POSITION", "TARGET_VOL", "RISK_PER_TRADE",
    "STOP_ATR_MULTIPLE", "FEATURE_NAMES", "HISTORY_BARS", "LOOKBACK", "HORIZON", "STRIDE", "TRAIN_DAYS",
    "compute_features", "parabolic_sar", "sma", "atr", "SequenceSet", "build_datasets", "forward_return_sum",
    "TrainedModel", "CollapsedModelError", "train", "train_timeline", "refit_cutoffs", "lstm_scores", "lstm_score_panel",
    "model_as_of", "momentum_12_1", "momentum_panel", "random_scores", "select_and_weight", "TrailingStops",
    "forward_returns", "information_coefficients", "hit_rate", "top_bottom_spread", "ranking_summary",
    "performance", "BacktestResult", "backtest_rule", "buy_and_hold", "equal_weight", "comparison_table",
    "month_starts", "rebalance_cutoffs", "STRATEGY", "save_trained", "save_timeline", "model_timeline",
    "trained_from_loaded", "load_as_of", "SIZES", "walk_forward_cutoffs", "train_walk_forward", "Study",
    "evaluate", "SEEDS", "member_score_panels", "newey_west_t", "seed_ic_table", "validation_ic",
]
