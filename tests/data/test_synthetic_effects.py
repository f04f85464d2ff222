"""Each planted effect is recovered from the generated LEAN files by a simple estimator.

Tolerances come from the noise: an estimate must lie within Z_TOL standard errors (computed from the
regression's own residuals) of the planted value. Z_TOL = 4.5 fails by chance with probability ~7e-6 per
coefficient, yet is tight: for the effects that matter we also require the planted value to be at least
SIGNIFICANT standard errors away from zero, so "recovering" a zero effect could not pass.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest_synthetic import FAR_FUTURE, FAR_PAST, ar1, closes, daily_bars, index_closes, mag7_features, ols, reversal_events

from qclocal.data import calendars, lean_format
from qclocal.data import fred as fredlib
from qclocal.data.synthetic import generate
from qclocal.data.synthetic import reversal as reversal_scenario
from qclocal.data.synthetic.core import sessions
from qclocal.data.synthetic.mag7_features import OnlineFeatures
from qclocal.data.synthetic.output import write_market

Z_TOL = 4.5
SIGNIFICANT = 3.0


def _rate(folder) -> pd.Series:
    frame = fredlib.read_fred_frame(folder, "DTB3")
    return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["observation"]))


# ---------------------------------------------------------------------------------------------- leveraged-etf

@pytest.fixture(scope="module")
def leveraged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leveraged")
    return folder, generate("leveraged-etf", folder, progress=False)


def test_tqqq_leverage_and_drag_are_recovered(leveraged):
    folder, truth = leveraged
    p = truth["parameters"]
    px = closes(folder, ["QQQ", "TQQQ"])
    r = px.pct_change()
    vix = index_closes(folder, "VIX").shift(1).reindex(px.index)
    rate = _rate(folder).shift(1).reindex(px.index)          # rate[t-1] in percent
    dt = pd.Series(px.index.to_series().diff().dt.days / 365.0, index=px.index)
    x = np.column_stack([r["QQQ"], r["QQQ"] * (vix - p["vix_ref"]) / 10, r["QQQ"] * (rate - p["rate_ref"]),
                         dt, dt * rate])
    fit = ols(r["TQQQ"].to_numpy(), x)
    planted = np.array(truth["regression"]["coefficients"])
    assert np.abs(fit.z(planted)).max() < Z_TOL, (fit.coef, planted, fit.se)
    # The VIX and rate terms in the leverage and the financing drag are real, not noise.
    assert (np.abs(planted[1:3]) / fit.se[1:3]).min() > SIGNIFICANT
    assert abs(planted[4]) / fit.se[4] > SIGNIFICANT
    # Residuals are the tracking noise plus sub-basis-point price rounding.
    assert p["tracking_sd"] * 0.95 < fit.resid_sd < p["tracking_sd"] * 1.5
    # Realised leverage stays near 3 like the real fund's.
    assert 2.9 < truth["realised"]["min_leverage"] and truth["realised"]["max_leverage"] < 3.1


# ---------------------------------------------------------------------------------------------- mag7

@pytest.fixture(scope="module")
def mag7(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mag7")
    return folder, generate("mag7", folder, start="2000-01-01", end="2020-12-31", progress=False)


def test_mag7_online_features_match_the_source_definition(mag7):
    folder, _ = mag7
    bars = daily_bars(folder, "NVDA").iloc[:700]
    reference = mag7_features(bars)
    online = OnlineFeatures(len(bars), 1)
    zs, above = [], []
    for row in bars.itertuples():
        online.update(np.array([row.close]), np.array([row.high]), np.array([row.low]))
        z, a = online.zscores(), online.above_sma()
        zs.append(np.full(4, np.nan) if z is None else z[:, 0])
        above.append(np.nan if a is None else float(a[0]))
    zs = np.array(zs)
    live = np.isfinite(zs).all(axis=1)
    assert live.sum() > 400
    ref = reference[["return", "macd_hist", "bb_width", "psar_dist"]].to_numpy()
    np.testing.assert_allclose(zs[live], ref[live], rtol=1e-7, atol=1e-9)
    assert np.isnan(ref[~live]).all()
    np.testing.assert_array_equal(np.array(above)[199:], reference["above"].to_numpy()[199:])


def _mag7_panel(folder, truth):
    """Per name: adjusted bars, the source features (clipped z-scores, centred regime) and the idio vol v_t."""
    vix_prev = index_closes(folder, "VIX").shift(1)
    out = {}
    for ticker, name in truth["names"].items():
        bars = daily_bars(folder, ticker)
        feats = mag7_features(bars)
        x = feats[truth["features"]].clip(-truth["z_clip"], truth["z_clip"])
        x["regime"] = feats["above"].astype(float) - 0.5
        v = name["idio_vol"] / math.sqrt(252) * np.sqrt(vix_prev.reindex(bars.index) / 17)
        out[ticker] = (bars, x, v)
    return out


def test_mag7_feature_loadings_are_recovered(mag7):
    """Each session's impulse acts on the returns of the next `horizon` sessions, evenly: regress the return
    (in idio vols) on the mean of the clipped features over the previous `horizon` sessions."""
    folder, truth = mag7
    horizon = truth["horizon"]
    spy = np.log(daily_bars(folder, "SPY")["close"]).diff()
    qqq = np.log(daily_bars(folder, "QQQ")["close"]).diff()
    ys, xs = [], []
    for bars, x, v in _mag7_panel(folder, truth).values():
        spread = x.rolling(horizon, min_periods=horizon).mean().shift(1)    # sessions t-h .. t-1
        frame = pd.concat([np.log(bars["close"]).diff() / v, spread, spy.reindex(bars.index) / v,
                           qqq.reindex(bars.index) / v, 1 / v], axis=1).dropna()
        ys.append(frame.iloc[:, 0].to_numpy())
        xs.append(frame.iloc[:, 1:].to_numpy())
    fit = ols(np.concatenate(ys), np.concatenate(xs), robust=True)
    planted = truth["strength"] * np.array([truth["loadings"][f] for f in truth["features"]]
                                           + [truth["trend_loading"]])
    assert np.abs(fit.z(np.r_[planted, fit.coef[5:]])).max() < Z_TOL, (fit.coef[:5], planted, fit.se[:5])
    assert (np.abs(planted) / fit.se[:5]).min() > SIGNIFICANT   # every term is real, not noise
    assert 0.97 < fit.resid_sd < 1.05                            # returns are in units of the planted idio vol
    # the old one-session model (today's features act on tomorrow only) is rejected
    lag1 = []
    for bars, x, v in _mag7_panel(folder, truth).values():
        frame = pd.concat([np.log(bars["close"]).diff() / v, x.shift(1), x.rolling(horizon).mean().shift(1)],
                          axis=1).dropna()
        lag1.append(frame.to_numpy())
    both = ols(np.concatenate(lag1)[:, 0], np.concatenate(lag1)[:, 1:], robust=True)
    # given the 21-session means, yesterday's features add nothing (their 1/21 share is in the means) ...
    assert np.abs(both.coef[:5] / both.se[:5]).max() < Z_TOL
    # ... while the means are jointly far from "no effect" (chi2_5)
    assert both.wald(slice(5, 10)) > 200


def test_mag7_effect_persists_over_the_label_horizon(mag7):
    """The planted 21-session return known at each month start ranks the names' realised 21-day returns.

    Built from the files: impulse q = strength (g . clipped z + g_trend regime); known part at the close
    before month start d: v sum_m q[d-1-m] (21 - m) / 21; realised: the sum of the 21 daily simple returns from d.
    No-skill null: Spearman IC over 8 names has sd 1/sqrt(7) per date, and monthly windows do not overlap.
    """
    folder, truth = mag7
    horizon = truth["horizon"]
    g = truth["strength"] * pd.Series({**truth["loadings"], "regime": truth["trend_loading"]})
    weights = (horizon - np.arange(horizon)) / horizon
    known, realised = {}, {}
    for ticker, (bars, x, v) in _mag7_panel(folder, truth).items():
        q = x[list(g.index)] @ g
        known[ticker] = v * sum(w * q.shift(m) for m, w in enumerate(weights))
        ret = bars["close"].pct_change()
        realised[ticker] = ret.rolling(horizon).sum().shift(-(horizon - 1))   # sessions d .. d+20
    known, realised = pd.DataFrame(known), pd.DataFrame(realised)
    days = known.index
    firsts = np.flatnonzero(np.r_[False, days.month[1:] != days.month[:-1]])
    ics = []
    for d in firsts:
        a, b = known.iloc[d - 1], realised.iloc[d]
        if a.notna().all() and b.notna().all():
            ics.append(a.rank().corr(b.rank()))
    ics = np.array(ics)
    assert len(ics) > 200
    assert ics.mean() > 3 * 3 / math.sqrt(7) / math.sqrt(len(ics))      # 3x the 3-SE no-skill bound
    assert 0.2 < ics.mean() < 0.45
    # the truth's summary is the same statistic (it also starts at the first written month)
    assert abs(ics.mean() - truth["realised"]["monthly_ic_mean"]) < 0.02


# ---------------------------------------------------------------------------------------------- reversal

def _reversal_fit(folder, truth, tickers):
    spy = daily_bars(folder, "SPY")["close"]
    market_fwd = np.log(spy.shift(-truth["hold"]) / spy)
    parts = []
    for ticker in tickers:
        events = reversal_events(daily_bars(folder, ticker), threshold=truth["score_threshold"],
                                 volume_ratio=truth["volume_ratio_threshold"], lookback=truth["lookback"],
                                 hold=truth["hold"], vol_window=truth["vol_window"])
        events["market"] = market_fwd.reindex(events["date"]).to_numpy()
        parts.append(events)
    events = pd.concat(parts, ignore_index=True)
    fits = {}
    for name, side in (("drop", events["r3"] < 0), ("spike", events["r3"] > 0)):
        sel = events[side].dropna()
        x = np.column_stack([np.ones(len(sel)), np.log1p(sel["r3"]), sel["market"]])
        fits[name] = ols(sel["fwd"].to_numpy(), x, robust=True)
    counts = {"drop": int((events["r3"] < 0).sum()), "spike": int((events["r3"] > 0).sum())}
    return fits, counts


def test_reversal_after_large_moves_is_recovered(tmp_path):
    """A 120-stock universe (the full one is in the slow test) written without coarse files, for speed."""
    market = reversal_scenario.simulate(sessions("2012-01-01", "2020-12-31"), 7, n_stocks=120)
    for equity in market.equities.values():
        equity.in_coarse = False
    write_market(tmp_path, "reversal", market)
    truth = market.truth
    fits, counts = _reversal_fit(tmp_path, truth, truth["tickers"]["coarse"])
    # The rule applied to the files finds exactly the generator's events.
    assert counts == {k: truth["events"][k] for k in ("drop", "spike")}
    assert counts["drop"] > 1000 and counts["spike"] > 800
    drop, spike = fits["drop"], fits["spike"]
    assert abs(drop.z([0, -truth["kappa_drop"], 0])[1]) < Z_TOL
    assert truth["kappa_drop"] / drop.se[1] > SIGNIFICANT
    assert abs(spike.z([0, -truth["kappa_spike"], 0])[1]) < Z_TOL


@pytest.mark.slow
def test_reversal_full_universe_recovers_both_sides(tmp_path):
    truth = generate("reversal", tmp_path, progress=False)
    fits, counts = _reversal_fit(tmp_path, truth, truth["tickers"]["coarse"])
    assert counts == {k: truth["events"][k] for k in ("drop", "spike")}
    for side in ("drop", "spike"):
        kappa = truth[f"kappa_{side}"]
        assert abs(fits[side].z([0, -kappa, 0])[1]) < Z_TOL
        assert kappa / fits[side].se[1] > SIGNIFICANT


# ---------------------------------------------------------------------------------------------- sectors

@pytest.fixture(scope="module")
def sectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sectors")
    return folder, generate("sectors", folder, start="1990-01-01", end="2020-12-31", progress=False)


def _fred_last(frames, series_id, moment, count):
    frame = frames[series_id]
    seen = frame[frame["visible"] <= moment].sort_values("observation")
    return seen["value"].to_numpy()[-count:]


def test_sector_macro_loadings_are_recovered_from_release_dated_fred(sectors):
    folder, truth = sectors
    features = truth["features"]
    sectors_ = sorted(truth["loadings"])
    px = closes(folder, [*sectors_, "SPY"])
    firsts = pd.DatetimeIndex(px.index.to_series().groupby(px.index.to_period("M")).first())
    frames = {s: fredlib.read_fred_frame(folder, s) for s in ("INDPRO", "CPIAUCSL", "UNRATE", "T10Y2Y", "FEDFUNDS")}
    rows = []
    for day in firsts:                    # what a strategy sees before the month's first session opens
        ip, cpi = _fred_last(frames, "INDPRO", day, 2), _fred_last(frames, "CPIAUCSL", day, 2)
        raw = {"indpro_growth": (ip[1] / ip[0] - 1) * 100, "cpi_inflation": (cpi[1] / cpi[0] - 1) * 100,
               "unrate_change": np.diff(_fred_last(frames, "UNRATE", day, 2))[0],
               "t10y2y": _fred_last(frames, "T10Y2Y", day, 1)[0],
               "fedfunds_change": np.diff(_fred_last(frames, "FEDFUNDS", day, 2))[0]}
        scale = truth["feature_scaling"]
        rows.append([np.clip((raw[f] - scale[f]["center"]) / scale[f]["scale"], -4, 4) for f in features])
    x = np.array(rows)
    planted_x = np.array([[m["features"][f] for f in features] for m in truth["monthly"]])
    np.testing.assert_allclose(x, planted_x, atol=1e-9)
    logs = np.log(px.loc[firsts])
    ret = (logs.shift(-1) - logs).iloc[:-1]
    design = np.column_stack([np.ones(len(ret)), x[:-1], ret["SPY"]])
    zs, walds = [], []
    for sector in sectors_:
        fit = ols(ret[sector].to_numpy(), design)
        planted = np.array([truth["loadings"][sector][f] for f in features])
        zs.append(fit.z(np.r_[fit.coef[0], planted, truth["betas"][sector]])[1:])
        if np.any(planted):
            walds.append(fit.wald(slice(1, 6)))
    assert np.abs(zs).max() < Z_TOL
    assert sum(walds) > 150          # the macro effect is jointly unmistakable (chi2 with ~55 df)


# ---------------------------------------------------------------------------------------------- pairs

@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pairs")
    return folder, generate("pairs", folder, progress=False)


def test_pair_spreads_have_the_planted_half_lives(pairs):
    folder, truth = pairs
    for key, p in truth["pairs"].items():
        px = np.log(closes(folder, [p["a"], p["b"]]))
        a, b = px[p["a"]].to_numpy(), px[p["b"]].to_numpy()
        # Engle-Granger: hedge ratio from the levels, then an AR(1) on the residual spread.
        levels = ols(a, np.column_stack([np.ones(len(b)), b]))
        assert abs(levels.coef[1] - p["hedge_ratio"]) < 0.1, key
        for spread in (a - p["hedge_ratio"] * b, a - levels.coef[0] - levels.coef[1] * b):
            fit = ar1(spread)
            phi, se = fit.coef[1], fit.se[1]
            assert abs(phi - p["phi"]) < Z_TOL * se, (key, phi, p["phi"], se)
            low, high = (-math.log(2) / math.log(min(q, 0.9999)) for q in (phi - Z_TOL * se, phi + Z_TOL * se))
            assert low < p["half_life"] < high
        assert abs(fit.resid_sd / p["spread_sd"] - 1) < 0.1, key
        # The spread mean-reverts, unlike a random walk (phi well below 1).
        assert (1 - p["phi"]) / se > SIGNIFICANT


def test_qqq_hour_bars_agree_with_its_daily_bars(leveraged):
    folder, _ = leveraged
    hours = lean_format.read_bars(folder, "equity", "QQQ", "hour", FAR_PAST, FAR_FUTURE)
    days = daily_bars(folder, "QQQ", adjusted=False)
    # the bars of each session's trading hours: 09:00 ... 15:00, or 09:00 ... 12:00 on a 13:00 early close (a bar
    # after the close never reaches an algorithm, so the session's last bar must close at the day's close)
    closes = calendars.sessions(days.index[0], days.index[-1])["close"]
    per_session = hours.groupby(hours.index.normalize()).size()
    np.testing.assert_array_equal(per_session.to_numpy(), (closes.dt.hour - 9).to_numpy())
    assert (per_session == 4).any() and set(hours.index.hour) == set(range(9, 16))
    assert (hours.index + pd.Timedelta(hours=1) <= closes.reindex(hours.index.normalize()).to_numpy()).all()
    session = hours.groupby(hours.index.normalize())
    for column, how in (("open", "first"), ("close", "last"), ("high", "max"), ("low", "min"), ("volume", "sum")):
        np.testing.assert_allclose(session[column].agg(how).to_numpy(), days[column].to_numpy(), rtol=1e-12,
                                   err_msg=column)
    assert (hours["high"] >= hours[["open", "close"]].max(axis=1)).all()
    assert (hours["low"] <= hours[["open", "close"]].min(axis=1)).all()
    # the path moves within the day: hour closes are not all the day's open or close
    first, last = session["open"].transform("first"), session["close"].transform("last")
    inside = (hours["close"] != first) & (hours["close"] != last)
    assert inside.mean() > 0.5
