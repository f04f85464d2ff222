"""Real data (../shared/market-data): the report command end to end for Ridge, train through 2014, test
2015-2020, FRED imported by qclocal (dated by release); plus the report's CSV reader on .csv and .csv.gz."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from models.sector_rotation.report import load_closes, main

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
