"""The report command: market data from .csv or .csv.gz, train and test dates as options, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from models.tqqq_leverage.dataset import INPUT_COLUMNS
from models.tqqq_leverage.report import load_market_inputs, main
from tqqq_planted import planted_market

FILES = {"qqq": "close/QQQ", "tqqq": "close/TQQQ", "vix": "index/VIX", "vix3m": "index/VIX3M",
         "irx": "rates/IRX", "tnx": "rates/TNX"}


def _write(folder, inputs: pd.DataFrame, gzipped: set[str]) -> None:
    for column, relative in FILES.items():
        path = folder / f"{relative}.csv{'.gz' if column in gzipped else ''}"
        path.parent.mkdir(parents=True, exist_ok=True)
        inputs[column].rename("Close").rename_axis("Date").to_csv(path)


def test_reads_csv_and_csv_gz_alike(tmp_path):
    inputs = planted_market(n=400).inputs[list(INPUT_COLUMNS)]
    _write(tmp_path / "plain", inputs, set())
    _write(tmp_path / "mixed", inputs, {"qqq", "vix", "irx"})
    plain, mixed = load_market_inputs(tmp_path / "plain"), load_market_inputs(tmp_path / "mixed")
    pd.testing.assert_frame_equal(plain, mixed)
    pd.testing.assert_series_equal(plain["qqq"], inputs["qqq"].rename_axis(plain.index.name), check_freq=False,
                                   check_names=False, rtol=1e-9)
    (tmp_path / "mixed" / "close" / "QQQ.csv").write_text("Date,Close\n")
    with pytest.raises(ValueError, match="both .*QQQ.csv.* exist"):
        load_market_inputs(tmp_path / "mixed")
    with pytest.raises(FileNotFoundError, match=r"QQQ.csv\(.gz\) is missing.*--market-data"):
        load_market_inputs(tmp_path / "nowhere")


@pytest.mark.parametrize("dates, message", [
    (["--train-end", "2016-13-01"], "YYYY-MM-DD"),
    (["--train-end", "2018-01-01", "--test-start", "2017-01-01"], "train end < test start"),
    (["--test-start", "2020-01-01", "--test-end", "2019-01-01"], "test start <= test end"),
])
def test_bad_dates_are_refused_before_any_work(tmp_path, capsys, dates, message):
    with pytest.raises(SystemExit):
        main(["--market-data", str(tmp_path), *dates])
    assert message in capsys.readouterr().err


def test_train_and_test_dates_choose_the_windows(tmp_path, monkeypatch, capsys):
    """The options reach the training cutoff and the evaluated sessions (the analytic model stands in for the
    networks, so this runs in seconds; the windows are what is tested)."""
    from models.tqqq_leverage import report

    inputs = planted_market(n=900).inputs[list(INPUT_COLUMNS)]
    _write(tmp_path / "data", inputs, set(FILES))  # every series gzipped
    cutoffs = []

    real_train = report.train

    def baseline_train(market, cutoff, **kwargs):
        cutoffs.append(pd.Timestamp(cutoff))
        return real_train(market, cutoff, variant="baseline", log=kwargs.get("log"))

    monkeypatch.setattr(report, "train", baseline_train)
    captured = {}
    real_run = report.run_report

    def run(*args, **kwargs):
        captured["result"] = real_run(*args, **kwargs)
        return captured["result"]

    monkeypatch.setattr(report, "run_report", run)
    assert report.main(["--market-data", str(tmp_path / "data"), "--no-reference", "--out", str(tmp_path / "out"),
                        "--train-end", "2010-06-30", "--test-start", "2010-09-01", "--test-end", "2011-02-28"]) == 0
    assert set(cutoffs) == {pd.Timestamp("2010-07-01")}
    for frame in captured["result"].frames.values():
        assert frame.index[0] >= pd.Timestamp("2010-09-01") and frame.index[-1] <= pd.Timestamp("2011-02-28")
        assert frame.index[0] <= pd.Timestamp("2010-09-03") and frame.index[-1] >= pd.Timestamp("2011-02-25")
    assert (tmp_path / "out" / "report.txt").exists() and "Annualized tracking error" in capsys.readouterr().out
