"""Russell QPI: short-horizon mean reversion on a liquid US universe; the 3-day QPI score gated by
gradient-boosting probabilities (long and short models) and a VIX regime. See docs/russell_qpi.md.

Modules: ``features`` (QPI and the eight features, vectorised over the universe), ``dataset`` (6-day labels,
purged and embargoed samples), ``model`` (HistGradientBoosting / GradientBoosting builders, probabilities),
``training`` (one cutoff or a quarterly walk-forward timeline, tqdm progress), ``persistence`` (ObjectStore),
``rules`` (universe, regime, exposure, entries, ADV cap, stop-loss and time-stop book), ``evaluation`` (as-of
scoring, calibration, hit rate by QPI bucket, permutation importance, research backtest, performance),
``report`` (tables and figures).
"""

from __future__ import annotations

from .dataset import (
    BANDS,
    EMBARGO,
    HORIZON,
    daily_universe,
    forward_return,
    research_universe,
    sample_panel,
    side_samples,
)
from .evaluation import (
    BacktestResult,
    backtest,
    feature_importance,
    hit_rate_by_qpi,
    performance,
    reliability,
    score_panel,
)
from .features import FEATURE_NAMES, HISTORY_BARS, WINDOW, compute_features, feature_panel, qpi
from .model import DEFAULT_KIND, KINDS, build_classifier, probability
from .persistence import STRATEGY, model_timeline, save_timeline, save_trained, trained_from_loaded
from .report import SOURCE_CLAIM, comparison_table
from .rules import (
    ABLATIONS,
    Book,
    Position,
    Rules,
    cap_weight,
    entries,
    exposure,
    is_bear,
    regime,
    select_universe,
    target_weight,
)
from .training import SIDES, TrainedModel, quarterly_cutoffs, train, train_timeline

__all__ = [
    "FEATURE_NAMES", "HISTORY_BARS", "WINDOW", "compute_features", "feature_panel", "qpi",
    "HORIZON", "EMBARGO", "BANDS", "forward_return", "research_universe", "daily_universe", "sample_panel",
    "side_samples",
    "KINDS", "DEFAULT_KIND", "build_classifier", "probability",
    "SIDES", "TrainedModel", "train", "train_timeline", "quarterly_cutoffs",
    "STRATEGY", "save_trained", "save_timeline", "model_timeline", "trained_from_loaded",
    "Rules", "ABLATIONS", "Book", "Position", "select_universe", "regime", "is_bear", "exposure",
    "target_weight", "cap_weight", "entries",
    "score_panel", "reliability", "hit_rate_by_qpi", "feature_importance", "BacktestResult", "backtest",
    "performance", "SOURCE_CLAIM", "comparison_table",
]
