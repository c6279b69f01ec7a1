"""Tests of `spectral.experiments` and the `spectral.train` command line."""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spectral import data
from spectral import experiments
from spectral import train as train_cli

SMALL = dict(
    dataset="synthetic",
    train_size=64,
    test_size=32,
    batch_size=16,
    num_blocks=2,
    epochs=3,
    lr_drops=(2,),
    seed=3,
)


@pytest.mark.parametrize(
    "network,extra",
    [
        ("spectral_pooling", {"alpha": 0.5, "beta": 0.3}),
        (
            "generic",
            {"optimizer": "adam", "learning_rate": 1e-3, "augment": True},
        ),
        (
            "deep",
            {"optimizer": "adam", "learning_rate": 1e-3, "conv": "spectral"},
        ),
    ],
    ids=["sp-pooling-sgd", "generic-adam-augment", "deep-spectral"],
)
@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_history(tmp_path, network, extra):
    config = experiments.TrainConfig(network=network, **{**SMALL, **extra})
    dataset = experiments.load_dataset(config)
    straight = experiments.train(
        config, tmp_path / "straight", verbose=0, dataset=dataset
    )
    first = experiments.train(
        config, tmp_path / "resumed", verbose=0, max_epochs=1, dataset=dataset
    )
    assert not first.complete and len(first.history) == 1
    resumed = experiments.train(
        config, tmp_path / "resumed", verbose=0, dataset=dataset
    )
    assert resumed.complete and straight.complete
    for a, b in zip(straight.history, resumed.history):
        for key in ("train_loss", "test_loss", "test_error", "learning_rate"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
    # The learning rate is divided by 10 after epoch 2.
    rates = [row["learning_rate"] for row in straight.history]
    assert rates[2] == pytest.approx(rates[0] / 10)


@pytest.mark.slow
def test_run_files_and_provenance(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    result = experiments.train(config, tmp_path, verbose=0)
    for name in (
        "config.json",
        "history.csv",
        "history.json",
        "result.json",
        "checkpoints/latest",
        "checkpoints/epoch_0001/model.keras",
        "checkpoints/epoch_0001/rng.npz",
    ):
        assert (tmp_path / name).is_file(), name
    stored = json.loads((tmp_path / "result.json").read_text())
    assert stored["data_source"] == data.SOURCE_SYNTHETIC
    info = stored["provenance"]
    for key in ("git_sha", "backend", "device", "versions", "date"):
        assert key in info
    assert info["wall_seconds_this_call"] > 0
    header = (tmp_path / "history.csv").read_text().splitlines()[0]
    assert header.split(",")[:5] == [
        "epoch",
        "train_loss",
        "train_error",
        "test_loss",
        "test_error",
    ]
    assert 0.0 <= result.test_error <= 1.0


@pytest.mark.slow
def test_a_run_directory_holds_one_configuration(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    experiments.train(config, tmp_path, verbose=0)
    other = experiments.TrainConfig(**{**SMALL, "epochs": 1, "seed": 4})
    with pytest.raises(ValueError, match="another configuration"):
        experiments.train(other, tmp_path, verbose=0)
    with pytest.raises(ValueError, match="already holds a run"):
        experiments.train(config, tmp_path, resume=False, verbose=0)


@pytest.mark.slow
def test_training_learns_the_synthetic_task(tmp_path):
    config = experiments.TrainConfig(
        dataset="synthetic",
        train_size=512,
        test_size=128,
        batch_size=32,
        network="generic",
        optimizer="adam",
        learning_rate=1e-3,
        epochs=3,
        lr_drops=(),
        seed=0,
    )
    result = experiments.train(config, tmp_path, verbose=0)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.test_error < 0.6  # chance is 0.9


@pytest.mark.parametrize(
    "values,match",
    [
        ({"dataset": "mnist"}, "Received: dataset='mnist'"),
        ({"optimizer": "rmsprop"}, "Received: optimizer='rmsprop'"),
        ({"epochs": 0}, "Received: epochs=0"),
        ({"learning_rate": 0.0}, "Received: learning_rate=0.0"),
        ({"colour": True}, "Unknown TrainConfig fields"),
    ],
    ids=["dataset", "optimizer", "epochs", "lr", "unknown"],
)
def test_config_errors(values, match):
    with pytest.raises(ValueError, match=match):
        experiments.TrainConfig.from_dict(values)


def test_config_round_trips_through_json():
    config = experiments.TrainConfig(**SMALL)
    again = experiments.TrainConfig.from_dict(
        json.loads(json.dumps(config.to_dict()))
    )
    assert again == config


@pytest.mark.slow
def test_cli_trains_and_resumes(tmp_path, capsys):
    args = [
        str(tmp_path),
        "--dataset",
        "synthetic",
        "--train-size",
        "32",
        "--test-size",
        "16",
        "--batch-size",
        "16",
        "--num-blocks",
        "1",
        "--epochs",
        "2",
        "--lr-drops",
        "--quiet",
    ]
    assert train_cli.main(args + ["--max-epochs", "1"]) == 75  # resumable
    assert "1/2 epochs, interrupted" in capsys.readouterr().out
    assert train_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "2/2 epochs, complete" in out and "synthetic" in out


@pytest.mark.slow
def test_killed_process_resumes_to_the_same_history(tmp_path):
    """SIGKILL in the middle of a run; a second process finishes it."""
    args = [
        "--dataset",
        "synthetic",
        "--train-size",
        "256",
        "--test-size",
        "32",
        "--batch-size",
        "16",
        "--num-blocks",
        "2",
        "--epochs",
        "3",
        "--lr-drops",
        "--quiet",
        "--seed",
        "5",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "spectral.train"]
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        command + [str(tmp_path / "straight")] + args,
        check=True,
        env=env,
        cwd=root,
        capture_output=True,
        timeout=600,
    )
    victim = subprocess.Popen(
        command + [str(tmp_path / "killed")] + args,
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    history = tmp_path / "killed" / "history.json"
    deadline = time.time() + 600
    while time.time() < deadline and not history.exists():
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    done = json.loads(history.read_text())
    assert 1 <= len(done) < 3, "the kill should land mid-run"
    subprocess.run(
        command + [str(tmp_path / "killed")] + args,
        check=True,
        env=env,
        cwd=root,
        capture_output=True,
        timeout=600,
    )
    a = json.loads((tmp_path / "straight" / "history.json").read_text())
    b = json.loads(history.read_text())
    assert len(a) == len(b) == 3
    np.testing.assert_allclose(
        [r["test_loss"] for r in b], [r["test_loss"] for r in a], rtol=1e-4
    )


@pytest.mark.slow
def test_a_finished_run_is_read_back_without_its_model_or_data(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    first = experiments.train(config, tmp_path, verbose=0)
    stored = json.loads((tmp_path / "result.json").read_text())
    shutil.rmtree(tmp_path / "checkpoints")

    class Unusable:
        def __getattr__(self, name):
            raise AssertionError(f"the data was used ({name})")

    again = experiments.train(config, tmp_path, verbose=0, dataset=Unusable())
    assert again.complete and again.history == first.history
    assert again.config == config
    assert again.provenance == stored["provenance"]
    assert not (tmp_path / "checkpoints").exists()  # nothing was retrained


class _Clock:
    """A stand-in for the `time` module whose epochs take 100 s each."""

    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now


@pytest.mark.slow
def test_no_epoch_starts_that_would_overrun_the_time_budget(
    tmp_path, monkeypatch
):
    clock = _Clock()
    real_fit_epoch = experiments.fit_epoch

    def slow_fit_epoch(*args, **kwargs):
        clock.now += 100.0
        return real_fit_epoch(*args, **kwargs)

    monkeypatch.setattr(experiments, "time", clock)
    monkeypatch.setattr(experiments, "fit_epoch", slow_fit_epoch)
    config = experiments.TrainConfig(**SMALL)  # 3 epochs
    # After two epochs 200 s have passed and the next would end at 300 s:
    # with a 250 s budget it must not start (a rule that only looks at the
    # time already spent would start it).
    result = experiments.train(config, tmp_path, verbose=0, time_budget=250)
    assert len(result.history) == 2 and not result.complete
    resumed = experiments.train(config, tmp_path, verbose=0, time_budget=250)
    assert resumed.complete and len(resumed.history) == 3


@pytest.mark.slow
def test_checkpoint_bytes_is_the_size_of_what_train_keeps(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    experiments.train(config, tmp_path, verbose=0)
    kept = tmp_path / "checkpoints" / "epoch_0001"
    actual = sum(f.stat().st_size for f in kept.rglob("*") if f.is_file())
    # Only the history's text and the archive's metadata differ.
    assert experiments.checkpoint_bytes(config) == pytest.approx(
        actual, abs=2000
    )
    adam = experiments.TrainConfig(**{**SMALL, "optimizer": "adam"})
    assert experiments.checkpoint_bytes(adam) > experiments.checkpoint_bytes(
        config
    )


@pytest.mark.parametrize("optimizer, slots", [("sgd", 1), ("adam", 2)])
def test_state_bytes_counts_the_weights_and_the_optimiser_slots(optimizer, slots):
    from spectral.training import building

    config = experiments.TrainConfig(**{**SMALL, "optimizer": optimizer})
    dataset = experiments.load_dataset(config)
    model = building.build_training_model(config, dataset)
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    weights = sum(int(np.prod(v.shape)) for v in model.weights)
    state = building.state_bytes(config)
    # float32 weights and slots, plus the optimiser's few scalars.
    assert 4 * (weights + slots * trainable) <= state <= 4 * (
        weights + slots * trainable) + 64
    # A saved checkpoint holds exactly these plus its archive's metadata.
    assert 0 < building.checkpoint_bytes(config) - state < 100 * 2**10


@pytest.mark.slow
def test_prune_finished_keeps_unfinished_runs_resumable(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 2})
    done = experiments.train(config, tmp_path / "done", verbose=0)
    experiments.train(config, tmp_path / "half", verbose=0, max_epochs=1)
    freed = experiments.prune_finished(tmp_path)
    assert freed > 0
    assert not (tmp_path / "done" / "checkpoints").exists()
    assert (tmp_path / "half" / "checkpoints" / "latest").is_file()
    assert experiments.prune_finished(tmp_path) == 0
    again = experiments.train(config, tmp_path / "done", verbose=0)
    assert again.history == done.history
    resumed = experiments.train(config, tmp_path / "half", verbose=0)
    assert resumed.complete and len(resumed.history) == 2


def test_data_parallel_is_a_no_op_on_one_device():
    assert experiments.data_parallel() is None


@pytest.mark.slow
def test_run_seeds_trains_each_seed_and_stops_at_a_deadline(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    results = experiments.run_seeds(config, [0, 1], tmp_path)
    assert [r.config.seed for r in results] == [0, 1]
    assert (tmp_path / experiments.run_name(results[1].config)).is_dir()
    summary = experiments.error_summary(results)
    assert summary["n"] == 2 and summary["std"] is not None
    longer = experiments.TrainConfig(**{**SMALL, "epochs": 2})
    with pytest.raises(experiments.IncompleteRunError, match="run again"):
        experiments.run_seeds(longer, [0], tmp_path / "late", deadline=0.0)


def test_chapter_data_falls_back_to_labelled_synthetic_images(tmp_path):
    with pytest.raises(FileNotFoundError):
        experiments.load_chapter_data("cifar10", tmp_path, False, 10, 5)
    fallback = experiments.load_chapter_data("cifar10", tmp_path, True, 10, 5)
    assert fallback.is_synthetic and len(fallback.x_train) == 10


def test_write_result_adds_provenance(tmp_path):
    document = experiments.write_result(tmp_path / "r.json", {"value": 1.5})
    stored = json.loads((tmp_path / "r.json").read_text())
    assert stored == document and stored["value"] == 1.5
    assert stored["provenance"]["backend"]


@pytest.mark.slow
def test_spatial_and_spectral_runs_see_the_same_augmentation():
    """An earlier reproduction augmented its spatial baseline differently."""
    dataset = data.synthetic_images(16, 4, seed=0)
    x = dataset.x_train.astype("float32") / 255.0
    outputs = []
    for conv in ("spatial", "spectral"):
        config = experiments.TrainConfig(
            **{**SMALL, "conv": conv, "augment": True, "network": "generic"}
        )
        model = experiments.build_training_model(config, dataset)
        preprocessing = model.layers[0]
        assert preprocessing.name == "preprocessing"
        outputs.append(np.asarray(preprocessing(x, training=True)))
        outputs.append(np.asarray(model(x, training=False)))
    np.testing.assert_array_equal(outputs[0], outputs[2])
    np.testing.assert_allclose(outputs[1], outputs[3], atol=1e-5)


@pytest.mark.parametrize(
    "fields,match",
    [
        ({"train_size": -5}, "Received: train_size=-5"),
        ({"validation_size": -1}, "Received: validation_size=-1"),
        ({"lr_drops": (10, 5)}, r"Received: lr_drops=\(10, 5\)"),
        ({"lr_drops": (0,)}, r"Received: lr_drops=\(0,\)"),
        ({"augment": "no"}, "Received: augment='no'"),
        ({"learning_rate": float("inf")}, "Received: learning_rate=inf"),
        ({"learning_rate": float("nan")}, "Received: learning_rate=nan"),
        ({"momentum": 1.5}, "Received: momentum=1.5"),
        ({"weight_decay": -1e-4}, "Received: weight_decay=-0.0001"),
        ({"width": 0.0}, "Received: width=0.0"),
        ({"augmentation": "mixup"}, "Received: augmentation='mixup'"),
        ({"jit_compile": "yes"}, "Received: jit_compile='yes'"),
        ({"seed": -1}, "Received: seed=-1"),
    ],
)
def test_config_validates_every_field(fields, match):
    with pytest.raises(ValueError, match=match):
        experiments.TrainConfig(**fields)


def test_config_accepts_numpy_scalars():
    config = experiments.TrainConfig(
        learning_rate=np.float32(0.01),
        train_size=np.int64(100),
        augment=np.bool_(True),
    )
    assert config.to_dict()["train_size"] == 100
    assert isinstance(config.learning_rate, float) and config.augment is True
    json.dumps(config.to_dict())


@pytest.mark.slow
def test_a_failed_start_leaves_no_config(tmp_path):
    """A start that fails building the model can be fixed and rerun."""
    config = experiments.TrainConfig(
        dataset="synthetic",
        train_size=32,
        test_size=16,
        network="generic",
        pooling="average",
        width=0.1,
        batch_size=16,
        lr_drops=(),
        epochs=1,
    )
    with pytest.raises(ValueError, match="pooling='average'"):
        experiments.train(config, tmp_path / "run")
    assert not (tmp_path / "run" / "config.json").exists()
    fixed = dataclasses.replace(config, pooling="max")
    assert experiments.train(fixed, tmp_path / "run").complete


@pytest.mark.slow
def test_a_second_process_is_refused_and_stale_locks_replaced(tmp_path):
    import platform

    config = experiments.TrainConfig(
        dataset="synthetic",
        train_size=32,
        test_size=16,
        network="generic",
        width=0.1,
        batch_size=16,
        lr_drops=(),
        epochs=1,
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lock = run_dir / "lock"
    # a live process on this machine (our parent) holds it
    lock.write_text(f"{os.getppid()} {platform.node()}\n")
    with pytest.raises(experiments.RunLockedError, match="being trained by"):
        experiments.train(config, run_dir)
    assert lock.exists() and not (run_dir / "config.json").exists()
    # a killed process left it behind: replaced with a warning
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(f"{dead.pid} {platform.node()}\n")
    with pytest.warns(UserWarning, match="stale lock"):
        assert experiments.train(config, run_dir).complete
    assert not lock.exists()


# --- damaged or out-of-step run directories


@pytest.mark.parametrize("damage", ["model", "rng", "history"])
@pytest.mark.slow
def test_a_damaged_checkpoint_falls_back_to_the_previous_one(tmp_path, damage):
    config = experiments.TrainConfig(**SMALL)  # 3 epochs
    dataset = experiments.load_dataset(config)
    straight = experiments.train(
        config, tmp_path / "straight", verbose=0, dataset=dataset
    )
    run = tmp_path / "damaged"
    experiments.train(config, run, verbose=0, max_epochs=2, dataset=dataset)
    kept = sorted(p.name for p in (run / "checkpoints").glob("epoch_*"))
    assert kept == ["epoch_0001", "epoch_0002"]  # the newest two
    newest = run / "checkpoints" / "epoch_0002"
    file = {"model": "model.keras", "rng": "rng.npz", "history": "history.json"}
    path = newest / file[damage]
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    with pytest.warns(UserWarning, match="epoch_0002 is damaged"):
        resumed = experiments.train(config, run, verbose=0, dataset=dataset)
    assert resumed.complete and len(resumed.history) == 3
    np.testing.assert_allclose(
        [r["train_loss"] for r in resumed.history],
        [r["train_loss"] for r in straight.history],
        rtol=1e-5,
    )
    assert json.loads((run / "history.json").read_text()) == resumed.history


@pytest.mark.slow
def test_no_readable_checkpoint_says_how_to_start_over(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 2})
    experiments.train(config, tmp_path, verbose=0, max_epochs=1)
    (tmp_path / "checkpoints" / "epoch_0001" / "model.keras").write_bytes(b"")
    with pytest.raises(ValueError, match="(?s)No readable checkpoint.*Delete"):
        experiments.train(config, tmp_path, verbose=0)


@pytest.mark.parametrize(
    "name,what", [("config.json", "configuration"), ("result.json", "result")]
)
@pytest.mark.slow
def test_corrupt_json_names_the_file_and_the_fix(tmp_path, name, what):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1})
    experiments.train(config, tmp_path, verbose=0)
    (tmp_path / name).write_text('{"truncated": ')
    with pytest.raises(
        ValueError, match=rf"{name} \(the run's {what}\).*Delete"
    ):
        experiments.train(config, tmp_path, verbose=0)


@pytest.mark.slow
def test_history_files_are_reconciled_with_the_result(tmp_path):
    """A kill between the last checkpoint and the history write."""
    config = experiments.TrainConfig(**{**SMALL, "epochs": 2})
    result = experiments.train(config, tmp_path, verbose=0)
    behind = result.history[:1]
    (tmp_path / "history.json").write_text(json.dumps(behind))
    again = experiments.train(config, tmp_path, verbose=0)
    assert json.loads((tmp_path / "history.json").read_text()) == again.history
    assert len((tmp_path / "history.csv").read_text().splitlines()) == 3
    # ... and without a result yet: the checkpoint's history wins.
    (tmp_path / "result.json").unlink()
    (tmp_path / "history.json").write_text(json.dumps(behind))
    resumed = experiments.train(config, tmp_path, verbose=0)
    assert resumed.history == result.history
    assert json.loads((tmp_path / "history.json").read_text()) == result.history


@pytest.mark.slow
def test_provenance_keeps_every_backend_a_run_trained_with(tmp_path):
    import keras

    config = experiments.TrainConfig(**{**SMALL, "epochs": 2})
    experiments.train(config, tmp_path, verbose=0, max_epochs=1)
    stored = tmp_path / "checkpoints" / "epoch_0001" / "history.json"
    rows = json.loads(stored.read_text())
    assert rows[0]["backend"] == keras.backend.backend()
    other = "jax" if keras.backend.backend() != "jax" else "tensorflow"
    rows[0]["backend"] = other  # as if the first epoch ran elsewhere
    stored.write_text(json.dumps(rows))
    result = experiments.train(config, tmp_path, verbose=0)
    assert result.provenance["backends"] == [other, keras.backend.backend()]


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--learning-rate", "inf"], "learning_rate"),
        (["--train-size", "-5"], "train_size"),
        (["--config", "missing.json"], "Could not read the --config file"),
    ],
    ids=["inf-rate", "negative-size", "missing-config"],
)
def test_cli_refuses_bad_arguments_with_status_2_and_no_run(
    tmp_path, capsys, extra, match
):
    run = tmp_path / "run"
    args = [str(run), "--dataset", "synthetic", "--quiet"] + extra
    assert train_cli.main(args) == train_cli.EXIT_INVALID
    assert match in capsys.readouterr().err
    assert not (run / "config.json").exists()


def test_cli_boolean_options_can_be_switched_off():
    on = train_cli.parser().parse_args(["r", "--augment"])
    off = train_cli.parser().parse_args(["r", "--no-augment"])
    unset = train_cli.parser().parse_args(["r"])
    assert (on.augment, off.augment, unset.augment) == (True, False, None)


def test_device_names_the_cpu_model_and_core_count():
    description = experiments.device_description()
    assert description.startswith("cpu: ") and description.endswith(" cores")
    assert experiments.provenance()["device"] == description


def test_an_unwritable_run_directory_is_refused_before_training(
    tmp_path, monkeypatch
):
    import errno

    real_open = os.open

    def read_only(path, *args, **kwargs):
        if str(path).endswith("lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    def no_data(*args, **kwargs):
        raise AssertionError("data loaded before the directory was checked")

    monkeypatch.setattr(experiments.os, "open", read_only)
    monkeypatch.setattr(experiments, "load_dataset", no_data)
    config = experiments.TrainConfig(**SMALL)
    with pytest.raises(PermissionError, match="Cannot write in the run dir"):
        experiments.train(config, tmp_path, verbose=0)
    assert not (tmp_path / "config.json").exists()


def test_roundtrip_start_is_the_spectral_runs_kernel():
    """`init_roundtrip` starts a spatial run from exactly the kernels that
    the spectral run of the same seed computes with, and from nothing else
    that differs."""
    import keras

    from spectral import layers

    base = experiments.TrainConfig(
        dataset="synthetic",
        train_size=32,
        test_size=16,
        network="generic",
        width=0.1,
        optimizer="sgd",
        learning_rate=0.01,
        epochs=1,
        batch_size=16,
        lr_drops=(),
    )
    dataset = experiments.load_dataset(base, subset_seed=0)
    models = {
        name: experiments.build_training_model(config, dataset)
        for name, config in (
            ("spatial", base),
            ("roundtrip", dataclasses.replace(base, init_roundtrip=True)),
            ("spectral", dataclasses.replace(base, conv="spectral")),
        )
    }

    def kernels(model, cls):
        found = []

        def walk(layer):
            for sub in getattr(layer, "layers", []):
                if type(sub) is cls:
                    found.append(np.asarray(sub.kernel))
                walk(sub)

        walk(model)
        return found

    spatial = kernels(models["spatial"], keras.layers.Conv2D)
    roundtrip = kernels(models["roundtrip"], keras.layers.Conv2D)
    spectral = kernels(models["spectral"], layers.SpectralConv2D)
    assert len(spatial) == len(roundtrip) == len(spectral) == 2
    for a, b, c in zip(spatial, roundtrip, spectral):
        np.testing.assert_array_equal(b, c)  # bitwise the spectral kernel
        np.testing.assert_allclose(a, b, atol=1e-6)  # rounding apart
    assert any(not np.array_equal(a, b) for a, b in zip(spatial, roundtrip))
    with pytest.raises(ValueError, match="applies to conv='spatial' only"):
        dataclasses.replace(base, conv="spectral", init_roundtrip=True)


def test_a_field_added_to_the_config_does_not_orphan_stored_runs():
    config = experiments.TrainConfig(epochs=3)
    stored = config.to_dict()
    del stored["init_roundtrip"]  # as written before the field existed
    assert experiments.same_config(stored, config)
    assert not experiments.same_config({**stored, "epochs": 4}, config)
    assert not experiments.same_config({**stored, "nonsense": 1}, config)
    assert not experiments.same_config(None, config)


@pytest.mark.slow
def test_train_eval_error_is_logged_in_inference_mode(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1, "train_eval_size": 20})
    result = experiments.train(config, tmp_path / "run", verbose=0)
    row = result.history[-1]
    assert 0.0 <= row["train_eval_error"] <= 1.0 and row["train_eval_loss"] > 0
    with pytest.raises(ValueError, match="train_eval_size"):
        experiments.train(
            experiments.TrainConfig(**{**SMALL, "epochs": 1, "train_eval_size": 65}),
            tmp_path / "too-many",
            verbose=0,
        )


@pytest.mark.slow
def test_a_diverging_run_stops_complete_with_null_losses(tmp_path):
    config = experiments.TrainConfig(
        **{**SMALL, "learning_rate": 1e6, "momentum": 0.99, "epochs": 3}
    )
    result = experiments.train(config, tmp_path / "run", verbose=0)
    last = result.history[-1]
    assert result.complete and result.parameters is None
    assert result.test_error is not None
    if last.get("diverged"):
        assert last["train_loss"] is None and len(result.history) <= 3
    json.loads(
        (tmp_path / "run" / "result.json").read_text(),
        parse_constant=lambda c: pytest.fail(f"{c} in result.json"),
    )
    again = experiments.train(config, tmp_path / "run", verbose=0)
    assert again.history == result.history


@pytest.mark.slow
def test_a_finished_run_records_its_kernels_sparsity(tmp_path):
    config = experiments.TrainConfig(**{**SMALL, "epochs": 1, "conv": "spectral"})
    result = experiments.train(config, tmp_path / "run", verbose=0)
    entry = result.parameters["block1_conv"]
    assert entry["parametrisation"] == "spectral" and entry["momentum"]
    stored = json.loads((tmp_path / "run" / "result.json").read_text())
    assert stored["parameters"] == result.parameters


@pytest.mark.parametrize(
    "field, value", [("pooling_norm", "unitary"), ("dropout_range", "pre")]
)
def test_config_knobs_are_validated(field, value):
    with pytest.raises(ValueError, match=f"Received: {field}="):
        experiments.TrainConfig(**{field: value})


def test_old_run_files_without_the_knobs_match_the_default_config():
    config = experiments.TrainConfig(**SMALL)
    stored = config.to_dict()
    for field in ("pooling_norm", "dropout_range", "train_eval_size"):
        stored.pop(field)
    assert experiments.same_config(stored, config)
