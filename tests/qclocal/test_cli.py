"""`qclocal backtest` as a user runs it: LEAN-shaped output folder, exit codes, clear config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qclocal.cli import main

ALGO = '''from AlgorithmImports import *


class Daily(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 8)
        self.set_end_date(2013, 10, 17)
        self.add_equity("SPY", Resolution.DAILY)
        self.threshold = self.get_parameter("threshold", 0.0)

    def on_data(self, data):
        if self.threshold < 0:
            raise RuntimeError("asked to fail")
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
'''


@pytest.fixture
def project(tmp_path: Path, lean_data: Path) -> Path:
    (tmp_path / "lean.json").write_text('{\n  // a comment, as lean init writes\n  "data-folder": "data"\n}\n')
    (tmp_path / "data").symlink_to(lean_data)
    proj = tmp_path / "algorithms" / "daily"
    proj.mkdir(parents=True)
    (proj / "main.py").write_text(ALGO)
    (proj / "config.json").write_text(json.dumps({"algorithm-language": "Python", "parameters": {"threshold": "1"}}))
    return proj


def test_backtest_writes_lean_shaped_results(project):
    result = CliRunner().invoke(main, ["backtest", str(project), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "End Equity" in result.output and "104486.22" in result.output
    (out,) = (project / "backtests").iterdir()
    data = json.loads((out / "daily.json").read_text())
    assert {"statistics", "runtimeStatistics", "charts", "orders"} <= set(data)
    assert {"Strategy Equity", "Benchmark"} <= set(data["charts"])
    assert data["statistics"]["Total Orders"] == "1"
    assert json.loads((out / "daily-order-events.json").read_text())[0]["status"] == "SUBMITTED"
    assert (out / "log.txt").is_file()


def test_algorithm_exception_fails_with_traceback_in_the_log(project):
    result = CliRunner().invoke(main, ["backtest", str(project), "--quiet", "--parameter", "threshold", "-1"])
    assert result.exit_code == 1
    (out,) = (project / "backtests").iterdir()
    assert "asked to fail" in (out / "log.txt").read_text()
    assert json.loads((out / "daily.json").read_text())["status"] == "RuntimeError"
    leftovers = [p for p in project.parent.parent.rglob(".*") if p.name.startswith(".tmp") or p.name.startswith(".2")]
    assert not leftovers


def test_malformed_config_names_the_field(project):
    (project / "config.json").write_text(json.dumps({"parameters": ["not", "an", "object"]}))
    result = CliRunner().invoke(main, ["backtest", str(project), "--quiet"])
    assert result.exit_code != 0
    assert '"parameters" must be an object' in result.output
    (project / "config.json").write_text("{ not json")
    result = CliRunner().invoke(main, ["backtest", str(project), "--quiet"])
    assert "config.json is not valid JSON" in result.output


def test_report_draws_equity_drawdown_and_the_algorithms_own_charts(project):
    (project / "main.py").write_text(ALGO.replace("            self.set_holdings(\"SPY\", 1)",
                                                  "            self.set_holdings(\"SPY\", 1)\n"
                                                  "        self.plot(\"Signal\", \"Close\", data[\"SPY\"].close)"))
    assert CliRunner().invoke(main, ["backtest", str(project), "--quiet"]).exit_code == 0
    result = CliRunner().invoke(main, ["report", str(project)])
    assert result.exit_code == 0, result.output
    (out,) = (project / "backtests").iterdir()
    text = (out / "report.md").read_text()
    assert "| End Equity | 104486.22 |" in text and "Signal" in text
    assert (out / "report.png").stat().st_size > 10_000
