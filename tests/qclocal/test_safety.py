"""Issue 10: qclocal never deletes or overwrites what it did not write, keeps every parallel run's results, and
never reports success on bad input. Each test runs the exact input of a finding and checks that nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from qclocal import outputs
from qclocal.cli import main

ALGO = '''from AlgorithmImports import *


class Daily(QCAlgorithm):
    def initialize(self):
        self.set_start_date({start})
        self.set_end_date({end})
        self.add_equity("SPY", Resolution.DAILY)
        self.period = self.get_parameter("period", 5)

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
'''


def write_algo(project: Path, start: str = "2013, 10, 8", end: str = "2013, 10, 17") -> None:
    (project / "main.py").write_text(ALGO.format(start=start, end=end))


@pytest.fixture
def workspace(tmp_path: Path, lean_data: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lean.json").write_text('{"data-folder": "data"}')
    (tmp_path / "data").symlink_to(lean_data)
    project = tmp_path / "algorithms" / "daily"
    project.mkdir(parents=True)
    write_algo(project)
    (project / "config.json").write_text(json.dumps({"parameters": {"period": "5"}}))
    (tmp_path / "notes.txt").write_text("mine")
    research = tmp_path / "research"
    research.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("scale = 1\nlabel: str = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("result = scale * 2")]
    nbformat.write(nb, research / "tagged.ipynb")
    nb.cells = [nbformat.v4.new_code_cell("scale = 1"), nbformat.v4.new_code_cell("result = scale * 2")]
    nbformat.write(nb, research / "untagged.ipynb")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "data" not in p.relative_to(folder).parts[:1]}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# -- Critical: --output deleted the folder it was given -----------------------------------------------------------

def test_backtest_output_dot_refuses_the_workspace_and_changes_nothing(workspace):
    before = snapshot(workspace)
    result = run("backtest", "algorithms/daily", "--quiet", "--output", ".")
    assert result.exit_code == 1
    assert "holds files qclocal did not write" in result.output and "notes.txt" in result.output
    assert "Choose a new or empty folder" in result.output
    assert snapshot(workspace) == before


def test_research_output_in_the_notebook_folder_refuses_and_changes_nothing(workspace):
    before = snapshot(workspace)
    result = run("research", "research/tagged.ipynb", "--output", "research")
    assert result.exit_code == 1
    assert "research holds files qclocal did not write (tagged.ipynb, untagged.ipynb)" in result.output
    assert snapshot(workspace) == before


def test_output_is_replaced_only_while_it_holds_nothing_but_a_qclocal_result(workspace):
    out = workspace / "out"
    for _ in range(2):  # the second run replaces the first run's result
        assert run("backtest", "algorithms/daily", "--quiet", "--output", str(out)).exit_code == 0
    assert {".qclocal-output.json", "daily.json", "daily-order-events.json", "log.txt"} == {
        p.name for p in out.iterdir()}
    (out / "mine.csv").write_text("1,2\n")
    before = snapshot(out)
    result = run("backtest", "algorithms/daily", "--quiet", "--output", str(out))
    assert result.exit_code == 1 and "(mine.csv)" in result.output
    assert snapshot(out) == before


def test_unwritable_output_is_an_error_not_a_traceback(workspace):
    result = run("backtest", "algorithms/daily", "--quiet", "--output", str(workspace / "notes.txt" / "out"))
    assert result.exit_code == 1
    assert f"cannot write the results in {workspace / 'notes.txt'}" in result.output
    assert "pass --output with a folder you can write to" in result.output
    assert "Traceback" not in result.output


def test_report_refuses_a_report_it_did_not_write(workspace):
    assert run("backtest", "algorithms/daily", "--quiet").exit_code == 0
    (folder,) = (workspace / "algorithms/daily/backtests").iterdir()
    (folder / "report.md").write_text("my own notes")
    result = run("report", str(folder))
    assert result.exit_code == 1 and "report.md, which qclocal did not write" in result.output
    assert (folder / "report.md").read_text() == "my own notes" and not (folder / "report.png").exists()
    (folder / "report.md").unlink()
    assert run("report", str(folder)).exit_code == 0
    assert run("report", str(folder)).exit_code == 0  # its own report it may rewrite


# -- Medium: parallel runs of one project kept one result ---------------------------------------------------------

def test_runs_in_the_same_second_get_their_own_folders(tmp_path):
    made = []
    for _ in range(3):
        staging = outputs.stage(tmp_path)
        (staging / "log.txt").write_text("x")
        made.append(outputs.publish(staging, "test", parent=tmp_path, stem="2026-01-01_00-00-00"))
    assert [p.name for p in made] == ["2026-01-01_00-00-00", "2026-01-01_00-00-00-2", "2026-01-01_00-00-00-3"]


def test_parallel_backtests_of_one_project_all_keep_their_results(workspace):
    qclocal = [sys.executable, "-m", "qclocal.cli"]
    procs = [subprocess.Popen([*qclocal, "backtest", "algorithms/daily", "--quiet", "--parameter", "period", str(n)],
                              cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for n in (3, 4, 5)]
    outputs_ = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs_
    folders = sorted((workspace / "algorithms/daily/backtests").iterdir())
    assert len(folders) == 3 and all((f / "daily.json").is_file() for f in folders)
    printed = {line.rsplit("results in ", 1)[1] for out in outputs_ for line in out.splitlines() if "results in" in line}
    assert printed == {str(f) for f in folders}


def test_parallel_notebook_runs_all_keep_their_executed_copies(workspace):
    procs = [subprocess.Popen([sys.executable, "-m", "qclocal.cli", "research", "research/tagged.ipynb",
                               "--parameter", "scale", str(n)], cwd=workspace, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for n in (2, 3)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    runs = sorted((workspace / "research/runs").iterdir())
    scales = sorted(json.loads((run / "parameters.json").read_text())["scale"] for run in runs)
    assert len(runs) == 2 and scales == ["2", "3"]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(workspace):
    dead = subprocess.Popen(["true"])
    dead.wait()
    backtests = workspace / "algorithms/daily/backtests"
    leftover = backtests / f"{outputs.STAGING}{dead.pid}-abc123"
    leftover.mkdir(parents=True)
    (leftover / "log.txt").write_text("half")
    live = backtests / f"{outputs.STAGING}{os.getpid()}-def456"  # a run still going: left alone
    live.mkdir()
    result = run("backtest", "algorithms/daily", "--quiet")
    assert result.exit_code == 0
    assert f"Removed {leftover}: the unfinished results of a backtest that was stopped" in result.output
    assert not leftover.exists() and live.exists()


# -- Medium: no silent success -------------------------------------------------------------------------------------

def test_start_after_end_fails_like_lean_naming_the_range(workspace):
    write_algo(workspace / "algorithms/daily", start="2013, 10, 17", end="2013, 10, 8")
    result = run("backtest", "algorithms/daily", "--quiet")
    assert result.exit_code == 1 and "Backtest Completed" not in result.output
    assert ("Please select an algorithm end date greater than start date: the start is 2013-10-17, "
            "the end 2013-10-08") in result.output


def test_a_range_without_data_fails_naming_the_range_and_the_data_found(workspace, lean_data):
    write_algo(workspace / "algorithms/daily", start="1990, 1, 1", end="1990, 12, 31")
    result = run("backtest", "algorithms/daily", "--quiet")
    assert result.exit_code == 1 and "Backtest Completed" not in result.output
    assert ("no data between the start 1990-01-01 and the end 1990-12-31; data found: SPY in "
            f"{lean_data / 'equity/usa/daily/spy.zip'}: 1998-01-02..2021-03-31") in result.output
    assert "Total Orders" not in result.output  # no table of zero statistics


def test_unknown_backtest_parameter_fails_listing_the_known_ones(workspace):
    before = snapshot(workspace)
    result = run("backtest", "algorithms/daily", "--quiet", "--parameter", "perod", "10")
    assert result.exit_code == 1
    assert "unknown --parameter perod:" in result.output and "defines period" in result.output
    assert snapshot(workspace) == before


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_parameter_values_are_refused(workspace, value):
    before = snapshot(workspace)
    for command in (["backtest", "algorithms/daily", "--quiet"], ["research", "research/tagged.ipynb"]):
        result = run(*command, "--parameter", "period" if command[0] == "backtest" else "scale", value)
        assert result.exit_code == 2 and "parameter values must be finite numbers or text" in result.output
        assert "Traceback" not in result.output
    assert snapshot(workspace) == before


@pytest.mark.parametrize("notebook, name, message", [
    ("untagged", "scale", "untagged.ipynb has no cell tagged `parameters`, so --parameter scale would change nothing"),
    ("tagged", "scael", "unknown --parameter scael: the parameters cell of tagged.ipynb sets label, scale"),
    ("tagged", "my-scale", "--parameter 'my-scale': a notebook parameter must be a Python variable name"),
])
def test_research_parameters_must_name_a_parameters_cell_variable(workspace, notebook, name, message):
    before = snapshot(workspace)
    result = run("research", f"research/{notebook}.ipynb", "--parameter", name, "3")
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
    assert snapshot(workspace) == before
