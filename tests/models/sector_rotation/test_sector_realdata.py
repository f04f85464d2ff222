"""Real data (../shared/market-data): the report command end to end for Ridge, train through 2014, test
2015-2020, FRED imported by qclocal (dated by release); plus the report's CSV reader on .csv and .csv.gz."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from models.sector_rotation.report import load_closes, main, qclocal_table

from qclocal.data.importer import ImportOptions, import_folder


def test_report_reads_csv_and_csv_gz(tmp_path):
    (tmp_path / "close").mkdir()
    (tmp_path / "close" / "AAA.csv").write_text("Date,Close\n2020-01-02,10\n2020-01-03,11\n")
    with gzip.open(tmp_path / "close" / "BBB.csv.gz", "wt") as f:
        f.write("Date,Close\n2020-01-02,20\n2020-01-03,22\n")
    closes = load_closes(tmp_path, ["AAA", "BBB"])
    np.testing.assert_allclose(closes.to_numpy(), [[10, 20], [11, 22]])
    with pytest.raises(FileNotFoundError, match="CCC"):
        load_closes(tmp_path, ["CCC"])


@pytest.mark.realdata
@pytest.mark.slow
def test_ridge_report_on_real_data(market_data, tmp_path, capsys):
    from models.sector_rotation.features import FRED_SETS

    import_folder(market_data, tmp_path, ImportOptions(tickers=frozenset(FRED_SETS["market-data"]), coarse=False,
                                                       progress=False))
    out = tmp_path / "report.json"
    main(["--prices", str(market_data), "--fred", str(tmp_path), "--families", "ridge", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "persistence" in printed and "equal_weight" in printed and "source: tree" in printed
    assert out.is_file()


def test_qclocal_table_reads_the_equity_chart_of_finished_backtests(tmp_path):
    days = pd.bdate_range("2020-01-01", "2020-12-31")
    equity = 100_000 * np.cumprod(np.full(len(days), 1.0005))
    spy = 100_000 * np.cumprod(np.full(len(days), 1.001))
    points = {name: [{"x": int(d.timestamp()) + 16 * 3600, "y": float(v)} for d, v in zip(days, curve, strict=True)]
              for name, curve in (("Sector rotation", equity), ("SPY", spy))}
    folder = tmp_path / "bt"
    folder.mkdir()
    (folder / "sector_rotation.json").write_text(json.dumps({"charts": {"Equity vs SPY": points},
                                                             "statistics": {"Total Fees": "$1,234.50"}}))
    (folder / "sector_rotation-order-events.json").write_text("[]")
    table = qclocal_table({"ridge": folder})
    first = days[0]
    assert table.loc["ridge", "growth_of_100"] == pytest.approx(100 * equity[-1] / equity[days.get_loc(first)])
    assert table.loc["ridge", "fees"] == pytest.approx(1234.5)
    assert table.loc["SPY (chart, no costs)", "cagr"] > table.loc["ridge", "cagr"]
    assert {"source: tree", "source: SPY"} <= set(table.index)
