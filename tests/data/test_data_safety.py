"""Issue 10, data folders: synthetic and imported data never silently replace each other, files qclocal has no
record of are never overwritten, writers of one folder take turns (real processes), and bad input fails clearly
naming its file, with the exact input of each finding and a check that nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock
from test_data_importer import SESSIONS, ohlcv_text, source, write_csv  # noqa: F401 - `source` is a fixture

from qclocal.backtest import backtest
from qclocal.cli import main
from qclocal.data import importer, provenance, synthetic
from qclocal.data.importer import DataImportError, ImportOptions, import_folder

SMALL = {"start": "2019-01-01", "end": "2020-06-30"}  # >= 300 sessions, a few seconds to generate


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def qclocal(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qclocal.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})}, **kwargs)


@pytest.fixture
def imported(source: Path, tmp_path: Path) -> Path:  # noqa: F811
    data = tmp_path / "data"
    import_folder(source, data, ImportOptions(progress=False))
    return data


# -- High: generate over imported data replaced real SPY, VIX, IRX and interest-rate.csv --------------------------

def test_generate_into_imported_data_is_refused_and_changes_nothing(imported: Path):
    before = snapshot(imported)
    result = CliRunner().invoke(main, ["data", "generate", "leveraged-etf", "--data-folder", str(imported),
                                       "--quiet", "--start", SMALL["start"], "--end", SMALL["end"]])
    assert result.exit_code == 1
    assert f"{imported} holds 23 imported files" in result.output
    assert "writing synthetic data there would mix the two, so nothing was changed" in result.output
    assert "pass --allow-mixed" in result.output
    assert snapshot(imported) == before


def test_allow_mixed_keeps_the_manifest_true_and_backtests_say_the_folder_is_mixed(imported: Path):
    synthetic.generate("leveraged-etf", imported, progress=False, allow_mixed=True, **SMALL)
    manifest = importer.read_manifest(imported)
    # SPY, VIX and IRX are synthetic now: they left the import manifest; ABC and XYZ are still real
    assert set(manifest["equity"]) == {"ABC", "XYZ"} and manifest["index"] == {} and manifest["rates"] == {}
    record = provenance.read_record(imported)
    assert record["equity/usa/daily/spy.zip"] == "synthetic:leveraged-etf"
    assert record["equity/usa/daily/abc.zip"].startswith("imported:")
    (note,) = provenance.data_notes(imported)
    assert note.startswith(f"Data folder {imported} mixes imported and synthetic data: ")
    project = imported.parent / "algorithms" / "spy"
    project.mkdir(parents=True)
    (imported.parent / "lean.json").write_text('{"data-folder": "data"}')
    (project / "main.py").write_text(
        "from AlgorithmImports import *\n\n\nclass Spy(QCAlgorithm):\n    def initialize(self):\n"
        "        self.set_start_date(2020, 1, 2)\n        self.set_end_date(2020, 1, 31)\n"
        "        self.add_equity('SPY', Resolution.DAILY)\n")
    result, out = backtest(project, echo=lambda _: None, show_progress=False)
    assert result.status == "Completed" and note in (out / "log.txt").read_text()


def test_import_into_synthetic_data_is_refused_and_changes_nothing(source: Path, tmp_path: Path):  # noqa: F811
    data = tmp_path / "data"
    synthetic.generate("leveraged-etf", data, progress=False, **SMALL)
    before = snapshot(data)
    with pytest.raises(provenance.DataSafetyError, match="holds 16 synthetic files .leveraged-etf.; writing "
                                                          "imported data there would mix the two"):
        import_folder(source, data, ImportOptions(progress=False))
    assert snapshot(data) == before


def test_files_qclocal_has_no_record_of_are_never_overwritten(source: Path, tmp_path: Path):  # noqa: F811
    data = tmp_path / "data"
    theirs = data / "equity/usa/daily/spy.zip"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"LEAN's own file")
    result = CliRunner().invoke(main, ["data", "import", "--source", str(source), "--data-folder", str(data),
                                       "--quiet"])
    assert result.exit_code == 1
    assert "holds 1 files qclocal has no record of (equity/usa/daily/spy.zip)" in result.output
    assert "Nothing was changed" in result.output and "--force" in result.output
    assert snapshot(data) == {"equity/usa/daily/spy.zip": b"LEAN's own file"}
    result = CliRunner().invoke(main, ["data", "import", "--source", str(source), "--data-folder", str(data),
                                       "--quiet", "--force"])
    assert result.exit_code == 0, result.output
    assert theirs.read_bytes() != b"LEAN's own file"


def test_a_killed_writers_temporary_files_are_removed_by_the_next_writer(source: Path, imported: Path):  # noqa: F811
    leftover = imported / "equity/usa/daily/.spy.zip.k1ll3d.tmp"
    leftover.write_bytes(b"half a zip")
    import_folder(source, imported, ImportOptions(progress=False))
    assert not leftover.exists()


# -- Medium: two imports into one folder at once lost updates ------------------------------------------------------

def test_parallel_imports_into_one_folder_keep_both(source: Path, tmp_path: Path):  # noqa: F811
    data = tmp_path / "data"
    runs = [qclocal("data", "import", "--source", str(source), "--data-folder", str(data), "--quiet",
                    "--tickers", tickers) for tickers in ("ABC,VIX", "XYZ,SPY,IRX")]
    outs = [p.communicate(timeout=300)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    manifest = importer.read_manifest(data)
    assert set(manifest["equity"]) == {"ABC", "XYZ", "SPY"} and set(manifest["index"]) == {"VIX"}
    coarse = (data / "equity/usa/fundamental/coarse" / f"{SESSIONS[-1]:%Y%m%d}.csv").read_text()
    assert ",ABC," in coarse and ",XYZ," in coarse


def test_a_second_writer_waits_saying_so_or_fails_clearly(source: Path, tmp_path: Path):  # noqa: F811
    data = tmp_path / "data"
    lock = FileLock(str(data / provenance.LOCK))
    (data / "qclocal").mkdir(parents=True)
    with lock:
        failing = qclocal("data", "import", "--source", str(source), "--data-folder", str(data), "--quiet",
                          env={"QCLOCAL_LOCK_TIMEOUT": "1"})
        out = failing.communicate(timeout=120)[0]
        assert failing.returncode == 1
        assert f"Waiting for another qclocal process that is writing the data folder {data}" in out
        assert "is still being written by another qclocal process after 1s" in out and "nothing was changed" in out
        assert not (data / importer.MANIFEST).exists()
        waiting = qclocal("data", "import", "--source", str(source), "--data-folder", str(data), "--quiet")
        first = waiting.stdout.readline()  # blocks until it reaches the lock we hold
        assert first.startswith("Waiting for another qclocal process")
        time.sleep(1)
        assert waiting.poll() is None and not (data / importer.MANIFEST).exists()
    out = waiting.communicate(timeout=120)[0]
    assert waiting.returncode == 0, out
    assert "imported 2 ohlcv" in out


# -- Low findings ----------------------------------------------------------------------------------------------

def test_a_huge_price_names_its_file_and_line_and_the_rest_is_imported(tmp_path: Path):
    src = tmp_path / "src"
    closes = [100.0] * 9 + [1e15]
    write_csv(src / "ohlcv/BIG.csv", ohlcv_text(closes, [1000] * 10, [1.0] * 10))
    write_csv(src / "ohlcv/OK.csv", ohlcv_text([10.0] * 10, [1000] * 10, [1.0] * 10))
    data = tmp_path / "data"
    with pytest.raises(DataImportError) as info:
        import_folder(src, data, ImportOptions(progress=False))
    assert ("ohlcv/BIG.csv:11: error: Open 9.9e+14 on 2020-01-27 is too large for LEAN's data format "
            "(prices must be below 1e+11)") in str(info.value)
    assert "non-positive" not in str(info.value)
    assert (data / "equity/usa/daily/ok.zip").is_file() and not (data / "equity/usa/daily/big.zip").exists()


def test_a_corrupt_zip_is_named_in_import_and_in_backtests(source: Path, imported: Path):  # noqa: F811
    from qclocal.data import lean_format

    zip_path = imported / "equity/usa/daily/abc.zip"
    zip_path.write_bytes(b"not a zip")
    report = import_folder(source, imported, ImportOptions(progress=False, tickers=frozenset({"XYZ"})))
    assert any(f"{zip_path} is not a readable zip file" in str(w) for w in report.warnings)
    with pytest.raises(ValueError, match=f"{zip_path} is not a readable LEAN data zip"):
        lean_format.read_bars(imported, "equity", "ABC", "daily", SESSIONS[0].date(), SESSIONS[-1].date())


def test_rerun_hint_keeps_data_folder_tickers_and_dates(tmp_path: Path):
    src = tmp_path / "src"
    write_csv(src / "close/BAD.csv", "Date,Close\n2020-01-14,1\n2020-01-13,1\n")
    data = tmp_path / "elsewhere"
    options = ImportOptions(progress=False, tickers=frozenset({"BAD"}), end=importer.parse_date("2020-02-01"))
    with pytest.raises(DataImportError) as info:
        import_folder(src, data, options)
    assert (f"rerun `qclocal data import --source {src} --data-folder {data} --tickers BAD --end 2020-02-01`"
            in str(info.value))


def test_a_data_folder_that_cannot_be_written_is_an_error_not_a_traceback(source: Path, tmp_path: Path):  # noqa: F811
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["data", "import", "--source", str(source), "--data-folder",
                                       str(tmp_path / "file" / "data"), "--quiet"])
    assert result.exit_code == 1 and "cannot write" in result.output and "Not a directory" in result.output
    assert "Traceback" not in result.output


def test_an_empty_source_folder_fails_and_writes_nothing(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["data", "import", "--source", str(tmp_path / "empty"), "--data-folder",
                                       str(tmp_path / "data")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'empty'} holds no CSV files to import; nothing was changed" in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("manifest", ['["not", "an", "object"]', '{"equity": ["SPY"]}', '{"fred": {"X": 1}}'])
def test_a_wrong_typed_import_manifest_is_an_error_not_a_traceback(source: Path, imported: Path,  # noqa: F811
                                                                   manifest: str):
    (imported / importer.MANIFEST).write_text(manifest)
    before = snapshot(imported)
    result = CliRunner().invoke(main, ["data", "import", "--source", str(source), "--data-folder", str(imported),
                                       "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "import-manifest.json:" in result.output and "delete the manifest" in result.output \
        or "must be a JSON object" in result.output
    assert snapshot(imported) == before


def test_make_demo_after_a_real_import_refuses_and_points_to_a_separate_folder(imported: Path, monkeypatch,
                                                                               repo_root: Path):
    workspace = imported.parent
    (workspace / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    (workspace / "algorithms").symlink_to(repo_root / "algorithms")
    monkeypatch.chdir(workspace)
    before = snapshot(imported)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "writing synthetic data there would mix the two, so nothing was changed" in result.output
    assert "`qclocal demo --strategy tqqq_leverage --data-folder demo-data`" in result.output
    assert snapshot(imported) == before


def test_yahoo_download_never_overwrites_csvs_it_did_not_download(tmp_path: Path):
    from test_data_yahoo_cli import recorded_download

    from qclocal.data import yahoo

    mine = write_csv(tmp_path / "csvs/ohlcv/SPY.csv", "Date,Close\n2020-01-02,1\n")
    with pytest.raises(RuntimeError, match="SPY.csv exist and were not downloaded by qclocal; nothing was changed"):
        yahoo.download(["SPY", "^VIX"], "2020-01-02", "2020-01-07", tmp_path / "csvs", downloader=recorded_download)
    assert snapshot(tmp_path / "csvs") == {"ohlcv/SPY.csv": b"Date,Close\n2020-01-02,1\n"}
    mine.unlink()
    for _ in range(2):  # its own downloads it may refresh
        yahoo.download(["SPY", "^VIX"], "2020-01-02", "2020-01-07", tmp_path / "csvs", downloader=recorded_download)
