"""Tests of `spectral.paper_record` (the GPU record, unit by unit)."""

import dataclasses
import json
import subprocess

import pytest

from spectral import data
from spectral import experiments
from spectral import paper_record
from spectral.record import laptop, runner
from tests.fakes import TINY, throughput_row

def test_units_follow_the_priority_order(tmp_path):
    units = paper_record.units(tmp_path, data_dir=tmp_path)
    groups = [paper_record.GROUPS.index(u.experiment) for u in units]
    assert groups == sorted(groups)
    assert [u.name for u in units[:5]] == [
        "throughput-float32",
        "throughput-mixed_bfloat16",
        "classification-cifar10-seed0",
        "classification-cifar10-seed1",
        "classification-cifar10-seed2",
    ]
    paper = units[2].config
    assert (paper.network, paper.num_blocks, paper.gamma) == (
        "spectral_pooling",
        8,
        0.85,
    )
    assert (paper.learning_rate, paper.momentum, paper.lr_drops) == (
        0.0088,
        0.95,
        (100, 140),
    )
    assert paper.epochs == 150 and not paper.augment and paper.loop == "device"
    speedup = [u for u in units if u.experiment == "speedup"]
    assert len(speedup) == len(
        laptop._speedup_units(laptop._base_configs()["speedup"], tmp_path)
    )
    runnable = [u.config for u in speedup if u.config is not None]
    assert all(c.width == 1.0 and c.epochs == 200 for c in runnable)
    assert all(c.train_size is None and c.loop == "device" for c in runnable)
    blocked = {u.name: u.blocked for u in units if u.blocked}
    assert "classification-cifar100-seed0" in blocked
    (search,) = [u for u in units if u.experiment == "search"]
    assert search.kind == "search" and not search.blocked
    assert search.config == units[2].config  # trials replace its values
    assert search.settings["trials"] == 20


def test_cifar100_units_unblock_when_the_archive_exists(tmp_path):
    (tmp_path / "cifar-100-python.tar.gz").write_bytes(b"")
    units = paper_record.units(tmp_path, data_dir=tmp_path)
    assert not [u for u in units if u.experiment == "cifar100" and u.blocked]


def test_the_record_needs_an_accelerator(tmp_path, capsys, monkeypatch):
    with pytest.raises(RuntimeError, match="accelerator"):
        paper_record.run_pending(record_dir=tmp_path, state_dir=tmp_path)
    monkeypatch.setattr(experiments, "git_revision", lambda path=None: "abc123")
    code = paper_record.main(
        ["run", "--record-dir", str(tmp_path), "--state-dir", str(tmp_path)]
    )
    assert code == 2 and "accelerator" in capsys.readouterr().err


def test_run_refuses_uncommitted_code(capsys, monkeypatch):
    monkeypatch.setattr(
        experiments, "git_revision", lambda path=None: "abc123+dirty"
    )
    assert paper_record.main(["run"]) == 2
    assert "committed checkout" in capsys.readouterr().err


def test_git_revision_falls_back_to_the_environment(monkeypatch):
    def no_git(*args, **kwargs):
        raise OSError("no git here")

    monkeypatch.setattr(subprocess, "run", no_git)
    monkeypatch.delenv("SPECTRAL_GIT_REVISION", raising=False)
    assert experiments.git_revision() is None
    monkeypatch.setenv("SPECTRAL_GIT_REVISION", "0123abcd")
    assert experiments.git_revision() == "0123abcd"


def _tiny_units(record_dir=None, data_dir=None):
    return [
        paper_record.paper_unit("tiny-train", "classification", "train", TINY),
        paper_record.paper_unit(
            "tiny-blocked", "search", "search", settings={}, blocked="why"
        ),
    ]


@pytest.mark.slow
def test_a_unit_resumes_from_a_packed_bundle(tmp_path, monkeypatch):
    monkeypatch.setattr(paper_record, "units", _tiny_units)
    record, state = tmp_path / "record", tmp_path / "state"
    dataset = runner._load_data(TINY, {})  # the data a unit trains on
    straight = experiments.train(
        TINY, tmp_path / "straight", dataset=dataset, verbose=0
    )
    # A first call trains two epochs, then its state travels in parts.
    experiments.train(
        TINY, state / "tiny-train", max_epochs=2, dataset=dataset, verbose=0
    )
    rows = {r["unit"]: r for r in paper_record.status(record, state_dir=state)}
    assert rows["tiny-train"]["state"] == "in progress"
    assert rows["tiny-train"]["note"] == "2 of 3 epochs"
    assert rows["tiny-blocked"]["state"] == "blocked"
    parts = paper_record.pack(state, tmp_path / "out", part_bytes=2**16)
    assert len(parts) > 1
    assert all(p.stat().st_size <= 2**16 for p in parts)
    # pack never deletes from its source (train keeps two checkpoints)
    kept = sorted(c.name for c in (state / "tiny-train" / "checkpoints").glob("epoch_*"))
    assert kept == ["epoch_0001", "epoch_0002"]
    # The next call starts from a bare state directory.
    elsewhere = tmp_path / "elsewhere"
    assert paper_record.unpack(tmp_path / "out", elsewhere) == len(parts)
    carried = list((elsewhere / "tiny-train" / "checkpoints").glob("epoch_*"))
    assert [c.name for c in carried] == ["epoch_0002"]  # newest only
    assert not (elsewhere / "tiny-train" / "lock").exists()
    finished, left = paper_record.run_pending(
        record_dir=record, state_dir=elsewhere, allow_cpu=True
    )
    assert finished == ["tiny-train"] and left == 1
    document = json.loads((record / "runs" / "tiny-train.json").read_text())
    assert document["experiment"] == "classification"
    assert experiments.same_config(document["config"], TINY)
    for a, b in zip(straight.history, document["history"]):
        for key in ("train_loss", "test_loss", "learning_rate"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
    rows = {r["unit"]: r for r in paper_record.status(record, state_dir=state)}
    assert rows["tiny-train"]["state"] == "finished"
    # A finished run travels without its checkpoints.
    paper_record.pack(elsewhere, tmp_path / "again")
    assert (elsewhere / "tiny-train" / "checkpoints").exists()  # source kept
    paper_record.unpack(tmp_path / "again", tmp_path / "third")
    assert (tmp_path / "third" / "tiny-train" / "result.json").exists()
    assert not (tmp_path / "third" / "tiny-train" / "checkpoints").exists()


def test_unpack_from_a_folder_that_does_not_exist_exits_2(tmp_path, capsys):
    status = paper_record.main(["unpack", "--from", str(tmp_path / "typo"),
                                "--state-dir", str(tmp_path / "s")])
    assert status == 2 and "does not exist" in capsys.readouterr().err


def test_throughput_unit_writes_its_rows(tmp_path, monkeypatch):
    from spectral import bench

    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return [{"network": "generic", "images_per_second": 123.0}]

    monkeypatch.setattr(bench, "training_throughput", fake)
    unit = paper_record.units(tmp_path, data_dir=tmp_path)[1]
    document = paper_record.run_throughput(unit, tmp_path, log=None)
    assert seen["precision"] == "mixed_bfloat16" and seen["loop"] == "device"
    stored = json.loads(
        (tmp_path / "runs" / "throughput-mixed_bfloat16.json").read_text()
    )
    assert stored["rows"] == document["rows"]
    assert "synthetic" in stored["data"]
    assert stored["provenance"]["device"]
    rows = {r["unit"]: r for r in paper_record.status(tmp_path, tmp_path)}
    assert rows["throughput-mixed_bfloat16"]["state"] == "finished"
    assert rows["throughput-float32"]["state"] == "pending"
    # Other settings make it a unit of another design: pending again.
    stored["settings"] = dataclasses.replace(unit, settings={}).settings
    (tmp_path / "runs" / "throughput-mixed_bfloat16.json").write_text(
        json.dumps(stored)
    )
    rows = {r["unit"]: r for r in paper_record.status(tmp_path, tmp_path)}
    assert rows["throughput-mixed_bfloat16"]["state"] == "pending"


def test_status_command_lists_every_unit(capsys):
    assert paper_record.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "throughput-float32" in out and "units finished" in out


@pytest.mark.slow
def test_the_search_unit_advances_call_by_call(tmp_path, monkeypatch):
    """A search unit stopped inside a trial travels like a training unit
    and the next call finishes it: the interrupted trial continues."""
    pytest.importorskip("keras_tuner")
    config = dataclasses.replace(TINY, epochs=2, lr_drops=())
    unit = paper_record.paper_unit(
        "search",
        "search",
        "search",
        config,
        settings={"trials": 2, "validation_fraction": 0.25, "oracle_seed": 0},
    )
    monkeypatch.setattr(paper_record, "units", lambda *a, **k: [unit])
    record, state = tmp_path / "record", tmp_path / "state"
    real_train = experiments.train

    def one_epoch(*args, **kwargs):  # a call whose time allows one epoch
        return real_train(*args, **{**kwargs, "max_epochs": 1})

    monkeypatch.setattr(experiments, "train", one_epoch)
    finished, left = paper_record.run_pending(
        record_dir=record, state_dir=state, allow_cpu=True, log=lambda m: None
    )
    assert (finished, left) == ([], 1)
    (row,) = paper_record.status(record, state_dir=state)
    assert row["state"] == "in progress"
    assert row["note"] == "0 of 2 trials; trial 0 at 1 of 2 epochs"
    paper_record.pack(state, tmp_path / "out")
    elsewhere = tmp_path / "elsewhere"
    paper_record.unpack(tmp_path / "out", elsewhere)
    monkeypatch.setattr(experiments, "train", real_train)
    finished, left = paper_record.run_pending(
        record_dir=record,
        state_dir=elsewhere,
        allow_cpu=True,
        log=lambda m: None,
    )
    assert (finished, left) == (["search"], 0)
    document = json.loads((record / "runs" / "search.json").read_text())
    assert [t["epochs"] for t in document["trials"]] == [2, 2]
    assert document["best"] == document["trials"][0]
    assert document["data"] == data.SOURCE_SYNTHETIC
    assert experiments.same_config(document["base_config"], config)
    assert paper_record.status(record, state_dir=elsewhere)[0]["state"] == (
        "finished"
    )


def _throughput_run(record_dir, rate):
    runs = record_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "throughput-float32.json").write_text(
        json.dumps({"name": "throughput-float32", "rows": [throughput_row(TINY, rate)]})
    )


def test_a_unit_whose_checkpoint_cannot_travel_waits_for_a_call_it_fits(
    tmp_path, monkeypatch
):
    from spectral.record import device_call

    monkeypatch.setattr(paper_record, "units", _tiny_units)
    monkeypatch.setattr(device_call, "must_finish_in_one_call", lambda config: True)
    rows = {r["unit"]: r for r in paper_record.status(tmp_path, tmp_path, tmp_path)}
    assert rows["tiny-train"]["state"] == "pending"
    assert "waits for the throughput unit" in rows["tiny-train"]["note"]
    # Measured too slow for a call: blocked, and a call does not start it.
    _throughput_run(tmp_path, rate=1e-3)
    rows = {r["unit"]: r for r in paper_record.status(tmp_path, tmp_path, tmp_path)}
    assert rows["tiny-train"]["state"] == "blocked"
    assert "min are left in this call" in rows["tiny-train"]["note"]
    said = []
    finished, remaining = paper_record.run_pending(
        minutes=1, record_dir=tmp_path, state_dir=tmp_path / "state",
        allow_cpu=True, log=said.append)
    assert finished == [] and remaining == 2
    assert any(line.startswith("tiny-train: not started:") for line in said)
    assert not (tmp_path / "state" / "tiny-train").exists()
    # Fast enough: pending again, and said to need one call.
    _throughput_run(tmp_path, rate=1e6)
    rows = {r["unit"]: r for r in paper_record.status(tmp_path, tmp_path, tmp_path)}
    assert rows["tiny-train"] == dict(rows["tiny-train"], state="pending",
                                      note="must finish inside one call")


def test_pack_leaves_behind_the_checkpoints_that_cannot_travel(tmp_path, monkeypatch):
    from spectral.record import device_call

    monkeypatch.setattr(paper_record, "units", lambda *a: _tiny_units())
    monkeypatch.setattr(device_call, "must_finish_in_one_call",
                        lambda config: config is TINY)
    for name in ("tiny-train", "other"):
        (tmp_path / "state" / name).mkdir(parents=True)
        (tmp_path / "state" / name / "history.json").write_text("[]")
    paper_record.pack(tmp_path / "state", tmp_path / "out")
    assert paper_record.unpack(tmp_path / "out", tmp_path / "back") > 0
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == ["other"]
