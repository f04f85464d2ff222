"""QuantBook and `qclocal research`: headless notebooks share data and ObjectStore with backtests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from qclocal.engine.enums import Resolution
from qclocal.research import NotebookFailed, QuantBook, run_notebook


@pytest.fixture
def workspace(tmp_path: Path, lean_data: Path, repo_root: Path) -> Path:
    (tmp_path / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    (tmp_path / "data").symlink_to(lean_data)
    (tmp_path / "research").mkdir()
    return tmp_path


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_quantbook_history_is_shaped_like_lean(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    qb = QuantBook()
    spy = qb.add_equity("SPY", Resolution.DAILY).symbol
    frame = qb.history(spy, "2013-10-07", "2013-10-12")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.names == ["symbol", "time"]
    times = frame.loc["SPY"].index
    assert [t.hour for t in times] == [16] * 5  # daily bars end at the close
    # adjusted by the factor file row that applies (0.8646266 for Oct 2013)
    assert frame.loc["SPY"]["close"].iloc[0] == pytest.approx(167.42 * 0.8646266)


def test_notebook_parameters_objectstore_and_failing_cell(workspace):
    nb = _notebook(workspace / "research" / "demo.ipynb",
                   "from AlgorithmImports import *\nqb = QuantBook()\n"
                   "h = qb.history(qb.add_equity('SPY', Resolution.DAILY).symbol, datetime(2013, 10, 7), datetime(2013, 10, 12))\n"
                   "qb.object_store.save('demo/rows', str(len(h) * scale))",
                   parameters="scale = 1")
    out = run_notebook(nb, {"scale": "3"}, echo=lambda *_: None)
    assert (workspace / "storage" / "demo" / "rows").read_text() == "15"
    executed = nbformat.read(out / "demo.ipynb", as_version=4)
    assert "qclocal-setup" not in json.dumps(executed.cells[0].metadata)

    bad = _notebook(workspace / "research" / "bad.ipynb", "x = 1", "raise ValueError('boom')")
    with pytest.raises(NotebookFailed, match=r"cell 2 failed.*boom"):
        run_notebook(bad, echo=lambda *_: None)


def test_backtest_loads_what_a_notebook_saved(workspace, repo_root):
    nb = _notebook(workspace / "research" / "train.ipynb",
                   "from AlgorithmImports import *\nqb = QuantBook()\n"
                   "closes = qb.history(qb.add_equity('SPY', Resolution.DAILY).symbol, datetime(2013, 10, 1), datetime(2013, 10, 7))"
                   "['close']\nqb.object_store.save('tiny/threshold', str(float(closes.mean())))")
    run_notebook(nb, echo=lambda *_: None)
    project = workspace / "algo"
    project.mkdir()
    (project / "main.py").write_text(
        "from AlgorithmImports import *\n\n\nclass Uses(QCAlgorithm):\n"
        "    def initialize(self):\n        self.set_start_date(2013, 10, 8)\n        self.set_end_date(2013, 10, 11)\n"
        "        self.add_equity('SPY', Resolution.DAILY)\n"
        "        self.threshold = float(self.object_store.read('tiny/threshold'))\n"
        "    def on_data(self, data):\n"
        "        if not self.portfolio.invested and data['SPY'].close < self.threshold:\n"
        "            self.set_holdings('SPY', 1)\n")
    from qclocal.backtest import backtest
    result, _ = backtest(project, show_progress=False)
    assert result.status == "Completed", result.error
    assert result.statistics["Total Orders"] == "1"
    shutil.rmtree(project / "backtests")


TRAIN_NOTEBOOK = """from AlgorithmImports import *
from datetime import date
from sklearn.linear_model import LinearRegression
from models.store import save_model
qb = QuantBook()
spy = qb.add_equity('SPY', Resolution.DAILY).symbol
closes = qb.history(spy, datetime(2013, 1, 1), datetime(2014, 1, 1))['close'].droplevel(0)
returns = closes.pct_change().dropna()
for cutoff in [date(2013, 7, 1), date(2013, 10, 1)]:
    train = returns[returns.index < pd.Timestamp(cutoff)]
    x, y = train.to_numpy()[:-1].reshape(-1, 1), train.to_numpy()[1:]
    model = LinearRegression().fit(x, y)
    save_model(qb.object_store, 'tiny', cutoff, {'model': model}, feature_names=['ret_lag1'],
               train_window=(train.index[0].date(), train.index[-1].date()), validation_window=None,
               hyperparameters={}, metrics={'r2': float(model.score(x, y))})
"""

LOAD_ALGORITHM = """from AlgorithmImports import *
from models.store import ModelTimeline


class UsesTimeline(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 9, 25)
        self.set_end_date(2013, 10, 8)
        self.add_equity('SPY', Resolution.DAILY)
        self.timeline = ModelTimeline(self.object_store, 'tiny', feature_names=['ret_lag1'], log=self.debug)
        self.used = []

    def on_data(self, data):
        loaded = self.timeline.as_of(self.time)
        self.used.append((self.time.date(), loaded.cutoff))
        self.debug(f'used {loaded.cutoff}')
        prediction = loaded.artifacts['model'].predict([[0.001]])[0]
        if prediction > -1 and not self.portfolio.invested:
            self.set_holdings('SPY', 0.5)
"""


def test_notebook_trains_a_timeline_and_a_backtest_loads_it_as_of(workspace, repo_root):
    """The research -> ObjectStore -> algorithm path with a real model and manifest: each bar uses the newest
    model whose cutoff is strictly before it."""
    nb = _notebook(workspace / "research" / "tiny.ipynb", TRAIN_NOTEBOOK)
    shutil.copytree(repo_root / "Library", workspace / "Library")
    run_notebook(nb, echo=lambda *_: None)
    assert (workspace / "storage" / "tiny" / "2013-10-01" / "manifest.json").is_file()
    project = workspace / "algorithms" / "uses"
    project.mkdir(parents=True)
    (project / "main.py").write_text(LOAD_ALGORITHM)
    (project / "config.json").write_text(json.dumps(
        {"algorithm-language": "Python", "libraries": [{"name": "models", "path": "Library/models"}]}))
    from qclocal.backtest import backtest
    result, out = backtest(project, show_progress=False)
    assert result.status == "Completed", result.error
    used = [line.split("used ")[1] for line in (out / "log.txt").read_text().splitlines() if "used " in line]
    assert used[0] == "2013-07-01" and used[-1] == "2013-10-01"
    assert "2013-10-01" not in used[:used.index("2013-10-01")]  # switches once, after the cutoff
    dates = [line.split()[0] for line in (out / "log.txt").read_text().splitlines() if "used 2013-10-01" in line]
    assert min(dates) > "2013-10-01"
