"""A small market with a planted leverage and drag that depend on VIX and rates (the TQQQ leverage tests)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from models.tqqq_leverage.dataset import align_inputs
from models.tqqq_leverage.training import COMPACT_TRAINING

# The planted effect (per session t, from values at the close of t-1):
#   leverage_t = LEV_0 + LEV_VIX * (VIX_{t-1} - 20) / 10 + LEV_RATE * (IRX_{t-1} - 2)
#   drag_t     = -(EXPENSE + FIN_MULT * IRX_{t-1} / 100) / 252 - VOL_COST * (VIX_{t-1} / 100)^2 / 252
#   r_TQQQ,t   = leverage_t * r_QQQ,t + drag_t + N(0, NOISE^2)
# The analytic baseline assumes leverage 3, financing multiplier 2 and no volatility cost, so it misses a
# leverage of about 2.95 that falls with VIX and rates, 0.5 x the T-bill rate and a VIX-dependent cost.
LEV_0, LEV_VIX, LEV_RATE = 2.95, -0.02, -0.01
EXPENSE, FIN_MULT, VOL_COST = 0.0095, 2.5, 1.0
NOISE = 0.0005


@dataclass(frozen=True)
class PlantedMarket:
    inputs: pd.DataFrame
    leverage: pd.Series   # planted leverage of each session (from the previous close)
    drag: pd.Series       # planted drag of each session


def planted_market(n: int = 2600, seed: int = 0) -> PlantedMarket:
    """Business-day market with the planted leverage and drag above; deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2008-01-01", periods=n)
    log_vix = np.empty(n)
    log_vix[0] = np.log(18.0)
    shocks = rng.standard_normal((n, 5))
    for t in range(1, n):
        jump = 0.35 if rng.random() < 0.01 else 0.0
        log_vix[t] = log_vix[t - 1] + 0.03 * (np.log(18.0) - log_vix[t - 1]) + 0.07 * shocks[t, 0] + jump
    vix = np.exp(log_vix)
    vix3m = vix * np.exp(0.07 - 0.3 * (log_vix - np.log(18.0)) + 0.02 * shocks[:, 1])
    irx = np.clip(2.0 + np.cumsum(0.03 * shocks[:, 2]), 0.05, 6.0)  # a slow random walk in percent
    tnx = irx + 1.5 + 0.3 * np.sin(np.arange(n) / 300)
    vix_prev = np.concatenate([[vix[0]], vix[:-1]])
    irx_prev = np.concatenate([[irx[0]], irx[:-1]])
    sigma = 0.85 * vix_prev / 100 / np.sqrt(252)
    r_qqq = 0.0004 + sigma * shocks[:, 3]
    leverage = LEV_0 + LEV_VIX * (vix_prev - 20) / 10 + LEV_RATE * (irx_prev - 2)
    drag = -(EXPENSE + FIN_MULT * irx_prev / 100) / 252 - VOL_COST * (vix_prev / 100) ** 2 / 252
    r_tqqq = leverage * r_qqq + drag + NOISE * rng.standard_normal(n)
    r_qqq[0] = r_tqqq[0] = 0.0
    qqq = pd.Series(50 * np.cumprod(1 + r_qqq), index=index)
    tqqq = pd.Series(20 * np.cumprod(1 + r_tqqq), index=index)
    inputs = align_inputs(qqq, tqqq, pd.Series(vix, index=index), pd.Series(vix3m, index=index),
                          pd.Series(irx, index=index), pd.Series(tnx, index=index))
    return PlantedMarket(inputs, pd.Series(leverage, index=index), pd.Series(drag, index=index))


# Tests train with one member and at most 80 epochs (a few seconds); the default uses 5 members.
FAST = dataclasses.replace(COMPACT_TRAINING, members=1, epochs=80)
PLANTED_CUTOFF = "2015-01-01"  # 7 years of training data; 2015-2017 is out of sample
