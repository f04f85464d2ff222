"""The compact model recovers a planted leverage and drag and beats the analytic baseline out of sample.

Tolerances (planted market: ~1,900 training sessions, noise 5 bp/day, QQQ daily sd ~1.1%):
- mean leverage: the standard error of a slope is noise / (sd(r_QQQ) sqrt(n)) ~ 0.001; we allow 0.005
  (5 SE) for the L2 shrinkage of the network.
- mean drag: the standard error of a mean is 5 bp / sqrt(1900) ~ 0.11 bp; we allow 0.6 bp (measured:
  0.2-0.4 bp over three seeds) and require the drag's day-to-day correlation with the planted one > 0.7.
- the best possible tracking error is the noise, 0.05% * sqrt(252) = 0.79%; the baseline's is 1.40%. We
  require < 0.87% (the noise floor + 10%) and a terminal-wealth error under a third of the baseline's.
"""

from __future__ import annotations

import numpy as np
from models.tqqq_leverage.evaluation import source_table, tracking_frame
from models.tqqq_leverage.training import train
from tqqq_planted import NOISE, PLANTED_CUTOFF


def test_compact_recovers_planted_leverage_and_drag(planted, planted_model):
    frame = tracking_frame(planted_model, planted.inputs, start=PLANTED_CUTOFF)
    assert len(frame) > 700
    leverage = planted.leverage.reindex(frame.index)
    drag = planted.drag.reindex(frame.index)
    assert abs(frame["leverage"].mean() - leverage.mean()) < 0.005
    assert np.corrcoef(frame["leverage"], leverage)[0, 1] > 0.5
    assert abs(frame["drag"].mean() - drag.mean()) < 0.6e-4
    assert np.corrcoef(frame["drag"], drag)[0, 1] > 0.7


def test_compact_beats_the_analytic_baseline_out_of_sample(planted, planted_model):
    baseline = train(planted.inputs, PLANTED_CUTOFF, variant="baseline")
    model_frame = tracking_frame(planted_model, planted.inputs, start=PLANTED_CUTOFF)
    base_frame = tracking_frame(baseline, planted.inputs, start=PLANTED_CUTOFF)
    model, base = source_table(model_frame), source_table(base_frame)
    noise_floor = NOISE * np.sqrt(252)
    assert model["tracking_error"] < 1.1 * noise_floor < base["tracking_error"]
    assert abs(model["terminal_wealth_error"]) < abs(base["terminal_wealth_error"]) / 3
    drag = planted.drag.reindex(model_frame.index)
    assert (model_frame["drag"] - drag).abs().mean() < 0.5 * (base_frame["drag"] - drag).abs().mean()
    # The validation metrics recorded at training time tell the same story.
    metrics = planted_model.metrics
    assert metrics["tracking_error"] < metrics["baseline_tracking_error"]
