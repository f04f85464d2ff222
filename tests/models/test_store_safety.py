"""Issue 10, the ObjectStore: saves never delete keys no save wrote, writers of one store take turns (real
processes), and `models list --verify` fails, without crashing, on corrupt or malformed entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock
from test_store import save_sklearn

from qclocal import object_store
from qclocal.models_cli import models
from qclocal.object_store import ObjectStore


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != object_store.LOCK_FILE}


def test_a_save_refuses_to_delete_keys_no_model_save_wrote(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    save_sklearn(store, "mag7_lstm", date(2020, 1, 1))
    store.save("mag7_lstm/2020-01-01/my-notes.txt", "why this model")
    before = files(store.root)
    with pytest.raises(ValueError, match=r"cannot save a model at mag7_lstm/2020-01-01/: the ObjectStore holds keys "
                                         r"there that no model save wrote \(mag7_lstm/2020-01-01/my-notes.txt\); "
                                         r"nothing was changed"):
        save_sklearn(store, "mag7_lstm", date(2020, 1, 1), seed=1)
    assert files(store.root) == before


def test_a_second_writer_of_a_store_waits_saying_so_or_fails_clearly(tmp_path):
    root = tmp_path / "storage"
    root.mkdir()
    code = ("import sys; from qclocal.object_store import ObjectStore; "
            "ObjectStore(sys.argv[1]).save('a/key', 'value'); print('saved')")
    with FileLock(str(root / object_store.LOCK_FILE)):
        failing = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True,
                                 env={**os.environ, "QCLOCAL_LOCK_TIMEOUT": "1"}, timeout=120)
        assert failing.returncode != 0
        assert f"Waiting for another qclocal process that is writing the ObjectStore {root}" in failing.stdout
        assert "is still being written by another qclocal process after 1s" in failing.stderr
        assert not (root / "a/key").exists()
        waiting = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
        assert waiting.stdout.readline().startswith("Waiting for another qclocal process")
        assert not (root / "a/key").exists()
    assert waiting.communicate(timeout=120)[0].strip() == "saved" and (root / "a/key").read_text() == "value"


def test_parallel_model_saves_into_one_store_all_land(tmp_path):
    code = ("import sys; from datetime import date; sys.path[:0] = [sys.argv[3], sys.argv[4]]\n"
            "from test_store import save_sklearn; from qclocal.object_store import ObjectStore\n"
            "store = ObjectStore(sys.argv[1])\n"
            "for year in range(2015, 2020): save_sklearn(store, sys.argv[2], date(year, 1, 1))\n")
    here = str(Path(__file__).parent)
    library = str(Path(__file__).parents[2] / "Library")
    root = tmp_path / "storage"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root), name, here, library])
             for name in ("sector_rotation", "sector_rotation", "pairs_reversion")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    result = CliRunner().invoke(models, ["list", "--object-store", str(root), "--verify"])
    assert result.exit_code == 0, result.output
    assert result.output.count(" ok ") == 10


def test_models_list_verify_exits_non_zero_on_a_corrupt_artifact(tmp_path):
    store = ObjectStore(tmp_path / "storage")
    save_sklearn(store, "mag7_lstm", date(2020, 1, 1))
    (store.root / "mag7_lstm/2020-01-01/model.joblib").write_bytes(b"tampered")
    result = CliRunner().invoke(models, ["list", "--object-store", str(store.root), "--verify"])
    assert result.exit_code == 1
    assert "1 model(s) failed verification:\n  mag7_lstm/2020-01-01/manifest.json: corrupt " \
           "mag7_lstm/2020-01-01/model.joblib" in result.output


@pytest.mark.parametrize("field, value", [("metrics", [1, 2]), ("metrics", "0.6"), ("versions", ["tf"])])
def test_models_list_shows_a_malformed_manifest_field_instead_of_crashing(tmp_path, field, value):
    store = ObjectStore(tmp_path / "storage")
    save_sklearn(store, "mag7_lstm", date(2020, 1, 1))
    key = "mag7_lstm/2020-01-01/manifest.json"
    manifest = json.loads(store.read(key))
    manifest[field] = value
    store.save(key, json.dumps(manifest))
    result = CliRunner().invoke(models, ["list", "--object-store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "malformed (see --json)" in result.output and "Traceback" not in result.output
