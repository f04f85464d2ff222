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
