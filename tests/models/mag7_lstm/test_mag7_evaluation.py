"""mag7_lstm.evaluation: forward returns aligned with the label, IC, hit rate, top-minus-bottom, performance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.mag7_lstm.evaluation import (
    forward_returns,
    hit_rate,
    information_coefficients,
    performance,
    ranking_summary,
    top_bottom_spread,
)

DATES = pd.to_datetime(["2020-01-02", "2020-02-03"])
TICKERS = [f"T{i}" for i in range(8)]
REALISED = pd.DataFrame([np.arange(8) / 100 - 0.02, np.arange(8)[::-1] / 100 - 0.02], index=DATES,
                        columns=TICKERS)


def test_ic_is_the_per_date_rank_correlation():
    scores = pd.DataFrame([np.arange(8) ** 3, np.arange(8) ** 3], index=DATES, columns=TICKERS, dtype=float)
    ic = information_coefficients(scores, REALISED)
    assert ic.tolist() == pytest.approx([1.0, -1.0])  # monotone transforms do not matter: ranks only
    partial = scores.copy()
    partial.iloc[0, 2:] = np.nan
    assert np.isnan(information_coefficients(partial, REALISED).iloc[0])  # fewer than 3 names


def test_hit_rate_and_spread():
    scores = pd.DataFrame([np.arange(8) - 3.5, np.arange(8) - 3.5], index=DATES, columns=TICKERS)
    # date 1: signs agree for T0, T1 (both -) and T4..T7 (both +), not T2 (realised 0) or T3;
    # date 2: realised falls from +0.05 to -0.02, so only T4 (+, +0.01) agrees: 7 of 16
    assert hit_rate(scores, REALISED) == pytest.approx(7 / 16)
    spread = top_bottom_spread(scores, REALISED, n=4)
    # top 4 = T4..T7, bottom 4 = T0..T3
    assert spread.tolist() == pytest.approx([0.04, -0.04])
    assert np.isnan(top_bottom_spread(scores.iloc[:, :7], REALISED, n=4).iloc[0])  # 7 names < 2 * 4
    summary = ranking_summary(scores, REALISED)
    assert summary["dates"] == 2 and summary["ic_mean"] == pytest.approx(0.0)
    assert summary["ic_positive_share"] == pytest.approx(0.5)


def test_forward_returns_match_the_training_label():
    days = pd.bdate_range("2020-01-01", periods=40)
    close = pd.DataFrame({"A": 100 * 1.01 ** np.arange(40), "B": np.linspace(50, 60, 40)}, index=days)
    when = days[10]
    fwd = forward_returns(close, [when], horizon=21)
    # the last bar before the decision is days[9]; the label sums the returns of bars 10..30
    assert fwd.loc[when, "A"] == pytest.approx(21 * 0.01)
    returns = close["B"].pct_change()
    assert fwd.loc[when, "B"] == pytest.approx(returns.iloc[10:31].sum())
    late = forward_returns(close, [days[25]], horizon=21)
    assert late.isna().all().all()


def test_performance_statistics():
    days = pd.bdate_range("2020-01-01", periods=6)
    equity = pd.Series([100, 110, 99, 108.9, 120, 121], index=days, dtype=float)
    stats = performance(equity, turnover=pd.Series([0.5, 0.1]))
    assert stats["max_drawdown"] == pytest.approx(0.10)
    assert stats["total_return"] == pytest.approx(0.21)
    years = (days[-1] - days[0]).days / 365.25
    assert stats["car"] == pytest.approx(1.21 ** (1 / years) - 1)
    daily = equity.pct_change().dropna()
    assert stats["sharpe"] == pytest.approx(daily.mean() / daily.std() * np.sqrt(252))
    assert stats["turnover"] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="two positive"):
        performance(pd.Series([100.0], index=days[:1]))


def test_plots_return_figures():
    from matplotlib.figure import Figure
    from models.mag7_lstm.report import plot_equity, plot_ic, plot_weights

    days = pd.bdate_range("2020-01-01", periods=30)
    equity = pd.Series(np.linspace(100, 120, 30), index=days)
    weights = pd.DataFrame({"A": 0.4, "B": 0.3, "BIL": 0.0}, index=days)
    ic = pd.Series(np.linspace(-0.2, 0.3, 5), index=days[::6])
    figures = [plot_equity({"lstm": equity, "qqq": equity * 1.1}), plot_ic(ic), plot_ic({"a": ic, "b": -ic}),
               plot_weights(weights)]
    assert all(isinstance(f, Figure) for f in figures)
    assert len(figures[0].axes[0].lines) == 2 and figures[0].axes[0].get_yscale() == "log"
    assert len(figures[3].axes[0].collections) == 2  # BIL (never held) is left out


def test_newey_west_t_allows_for_overlapping_labels():
    from models.mag7_lstm.evaluation import newey_west_t, overlap_lags

    assert overlap_lags(21, 5) == 4 and overlap_lags(21, 21) == 0 and overlap_lags(21, 19) == 1
    rng = np.random.default_rng(3)
    iid = pd.Series(rng.standard_normal(4000) + 0.05)
    plain = iid.mean() / iid.std(ddof=0) * np.sqrt(len(iid))
    assert newey_west_t(iid, 0) == pytest.approx(plain)
    # a 5-period moving sum (labels overlapping 4 later dates): autocorrelations 0.8, 0.6, 0.4, 0.2, which the
    # Bartlett weights 0.8, 0.6, 0.4, 0.2 turn into a long-run variance of 1 + 2 x 1.2 = 3.4 times the plain one
    overlapping = pd.Series(rng.standard_normal(40_004) + 0.01).rolling(5).sum().dropna()
    naive, hac = newey_west_t(overlapping, 0), newey_west_t(overlapping, 4)
    assert naive / hac == pytest.approx(np.sqrt(3.4), rel=0.1)
    assert np.isnan(newey_west_t(pd.Series([1.0, np.nan]), 1))
