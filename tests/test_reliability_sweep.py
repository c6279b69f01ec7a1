"""Reliability sweep, round 3: every case a parametrised test of its own.

Categories: the record and the run directories; the pure functions; the
data helpers; the commands' exit statuses and messages. Each case gives a
clear error (argument, what was received, what is expected; or the file
and the fix) or a correct result.
"""

import json

import keras
import numpy as np
import pytest

from spectral import adaptive
from spectral import claims
from spectral import data
from spectral import experiments
from spectral import fourier
from spectral import reproduce
from spectral import robustness
from spectral import study
from spectral.record import cli, runner

X = np.random.default_rng(0).standard_normal((2, 9, 8, 3)).astype("float32")

# --------------------------------------------------------------------------
# Pure functions

POOLERS = {
    "spectral_pool": lambda x, **k: fourier.spectral_pool(x, **{"output_size": 4, **k}),
    "spectral_interpolate": lambda x, **k: fourier.spectral_interpolate(
        x, **{"output_size": 12, **k}
    ),
    "frequency_lowpass": lambda x, **k: fourier.frequency_lowpass(
        x, **{"kept_size": (3, 3), **k}
    ),
    "adaptive_pool": lambda x, **k: adaptive.adaptive_pool(x, **{"output_size": 4, **k}),
}
BAD_ARGUMENTS = [
    ("spectral_pool", {"output_size": 0}, "output_size"),
    ("spectral_pool", {"output_size": -2}, "output_size"),
    ("spectral_pool", {"output_size": 2.5}, "output_size"),
    ("spectral_pool", {"output_size": 10}, "no larger than the input"),
    ("spectral_pool", {"data_format": "NHWC"}, "data_format"),
    ("spectral_pool", {"norm": "unitary"}, "norm"),
    ("spectral_pool", {"method": "dft"}, "method"),
    ("spectral_interpolate", {"output_size": 3}, "no smaller than the input"),
    ("spectral_interpolate", {"output_size": (12, 0)}, "output_size"),
    ("spectral_interpolate", {"method": "slow"}, "method"),
    ("frequency_lowpass", {"kept_size": (0, 3)}, "kept_size"),
    ("frequency_lowpass", {"kept_size": (3, 99)}, "kept_size"),
    ("frequency_lowpass", {"kept_size": (2.5, 3)}, "kept_size"),
    ("frequency_lowpass", {"kept_size": 3}, "kept_size"),
    ("frequency_lowpass", {"data_format": "channels_middle"}, "data_format"),
    ("adaptive_pool", {"output_size": 0}, "output_size"),
    ("adaptive_pool", {"output_size": 3.7}, "output_size"),
    ("adaptive_pool", {"output_size": 10}, "no larger than the input"),
    ("adaptive_pool", {"data_format": "NCHW"}, "data_format"),
    ("adaptive_pool", {"mode": "median"}, "mode"),
]


@pytest.mark.parametrize(
    "function, kwargs, match",
    BAD_ARGUMENTS,
    ids=[f"{f}-{list(k.values())[0]!r}" for f, k, _ in BAD_ARGUMENTS],
)
def test_pure_functions_refuse_bad_arguments(function, kwargs, match):
    with pytest.raises(ValueError, match=match):
        POOLERS[function](X, **kwargs)


@pytest.mark.parametrize("function", sorted(POOLERS))
def test_pure_functions_refuse_complex_inputs(function):
    with pytest.raises(TypeError, match="Expected real numbers"):
        POOLERS[function](X.astype("complex64"))


@pytest.mark.parametrize("function", sorted(POOLERS))
@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_pure_functions_cast_integer_inputs_to_float32(function, dtype):
    x = (np.abs(X) * 3).astype(dtype)
    out = POOLERS[function](x)
    expected = POOLERS[function](x.astype("float32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(expected)
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fourier.kernel_to_spectral(np.zeros((3, 3, 2))), "4-D kernel"),
        (lambda: fourier.spectral_to_kernel(np.zeros((8, 2, 2)), 3), "Expected shape \\(9"),
        (lambda: fourier.fft_conv2d(X, np.zeros((3, 3, 3))), "4-D kernel"),
        (lambda: fourier.fft_conv2d(X[0], np.zeros((3, 3, 3, 1))), "4-D tensor"),
        (lambda: fourier.fft_conv2d(X, np.zeros((3, 3, 3, 1)), padding="full"), "padding"),
    ],
    ids=["k2s-3d", "s2k-shape", "fft-kernel-3d", "fft-x-3d", "fft-padding"],
)
def test_kernel_functions_refuse_bad_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------
# Data


@pytest.mark.parametrize(
    "images, labels, batch, match",
    [
        (np.zeros((4, 2, 2, 3), "float32"), np.zeros(4, int), 2, "uint8 images"),
        (np.zeros((4, 2, 2, 3), "uint8"), np.zeros(4, "float32"), 2, "integer label"),
        (np.zeros((4, 2, 2, 3), "uint8"), np.zeros(3, int), 2, "integer label"),
        (np.zeros((4, 2, 2, 3), "uint8"), -np.ones(4, int), 2, "labels must lie"),
        (np.zeros((4, 2, 2, 3), "uint8"), np.zeros(4, int), 0, "batch_size"),
        (np.zeros((4, 2, 2, 3), "uint8"), np.zeros(4, int), 2.0, "batch_size"),
    ],
    ids=["float-images", "float-labels", "count", "negative", "batch-0", "batch-float"],
)
def test_array_batches_check_their_input(images, labels, batch, match):
    with pytest.raises(ValueError, match=match):
        data.ArrayBatches(images, labels, batch)


@pytest.mark.parametrize(
    "offsets, match",
    [
        (np.array([0.0, 2.0, 4.0]), "integer array"),
        (np.array([0, 3, 2, 4]), "increase strictly"),
        (np.array([1, 2, 4]), "increase strictly"),
        (np.array([0, 2, 5]), "increase strictly"),
    ],
    ids=["float", "decreasing", "not-from-0", "past-the-end"],
)
def test_jpeg_offsets_are_checked(offsets, match):
    with pytest.raises(ValueError, match=match):
        data._decode_jpegs(np.zeros(4, np.uint8), offsets)


@pytest.mark.parametrize("labels", [np.zeros(3, "float32"), np.array(["a"] * 3)])
def test_labels_of_the_jpeg_copy_must_be_integers(labels):
    with pytest.raises(ValueError, match="must be integers"):
        data._check_label_dtype(labels, "train_labels")


def test_channel_statistics_refuse_non_uint8_images():
    with pytest.raises(ValueError, match="uint8 images"):
        data.channel_statistics(np.zeros((2, 4, 4, 3), "float32"))


# --------------------------------------------------------------------------
# The record and the run directories


def _unit(name="pooling-max-seed0"):
    return {u.name: u for u in study.units(experiments=("pooling",))}[name]


def _document(config, test_error=0.3):
    return {"config": config.to_dict(), "history": [{"val_error": 0.3}],
            "test_error": test_error, "wall_seconds": 1.0}


def test_write_run_refuses_a_non_finite_number_naming_the_run(tmp_path):
    unit = _unit()
    with pytest.raises(ValueError, match="run file of pooling-max-seed0"):
        study.write_run(tmp_path, unit.name, _document(unit.config, float("nan")))
    assert not (tmp_path / "runs" / f"{unit.name}.json").exists()


def test_write_run_moves_a_run_of_another_config_aside(tmp_path):
    unit = _unit()
    other = robustness.tuned_config("max", 0.028, 0)
    study.write_run(tmp_path, unit.name, _document(other, 0.9))
    study.write_run(tmp_path, unit.name, _document(unit.config, 0.3))
    assert study.moved_aside(tmp_path) == [f"{unit.name}.0.json"]
    kept = json.loads((tmp_path / "superseded" / f"{unit.name}.0.json").read_text())
    assert kept["test_error"] == 0.9
    study.write_run(tmp_path, unit.name, _document(unit.config, 0.31))
    assert study.moved_aside(tmp_path) == [f"{unit.name}.0.json"]  # same config


@pytest.mark.parametrize("text", ['{"config": ', "[1, 2]", '{"a": NaN}'],
                         ids=["truncated", "not-an-object", "nan"])
def test_a_damaged_run_file_is_reported_and_never_wedges_the_rest(tmp_path, text):
    unit = _unit()
    study.write_run(tmp_path, unit.name, _document(unit.config))
    (tmp_path / "runs" / "pooling-average-seed0.json").write_text(text)
    with pytest.warns(UserWarning, match="pooling-average-seed0.json"):
        runs = study.load_runs(tmp_path)
    assert list(runs) == [unit.name]
    with pytest.warns(UserWarning):
        assert study.damaged_runs(tmp_path)[0].endswith("pooling-average-seed0.json")


def test_verdicts_refuse_a_non_finite_test_error_naming_the_run(tmp_path):
    unit = _unit()
    path = tmp_path / "runs" / f"{unit.name}.json"
    path.parent.mkdir()
    document = _document(unit.config)
    document["test_error"] = "NaN"  # what a hand edit could leave
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="Run pooling-max-seed0 .* test_error='NaN'"):
        claims.claims(tmp_path)


def test_fft_verdict_refuses_a_non_finite_exactness_row(tmp_path):
    (tmp_path / "runs").mkdir()
    rows = [{"kernel": 3, "relative": 1e-7}, {"kernel": 9, "relative": None}]
    (tmp_path / "bench.json").write_text(json.dumps({"exactness": rows}))
    with pytest.raises(ValueError, match="non-finite or missing exactness"):
        claims.claims(tmp_path, tmp_path)


@pytest.mark.slow
def test_a_checkpoint_of_another_config_is_never_resumed(tmp_path):
    small = dict(dataset="synthetic", train_size=32, test_size=16, batch_size=16,
                 num_blocks=1, epochs=2, lr_drops=(), width=0.1)
    first = experiments.TrainConfig(**small)
    experiments.train(first, tmp_path / "run", max_epochs=1, verbose=0)
    (tmp_path / "run" / "config.json").unlink()  # as the damaged-file message advises
    second = experiments.TrainConfig(**{**small, "seed": 5})
    with pytest.raises(experiments.CheckpointConfigError, match="another configuration"):
        experiments.train(second, tmp_path / "run", verbose=0)
    result = experiments.train(first, tmp_path / "run", verbose=0)
    assert result.complete and len(result.history) == 2


def test_publishing_a_record_keeps_the_old_one_when_the_copy_fails(tmp_path, monkeypatch):
    new = tmp_path / "executed"
    (new / "results").mkdir(parents=True)
    (new / "results" / "a.json").write_text("{}")
    (new / "notebooks").mkdir()
    book, results = tmp_path / "book", tmp_path / "results-record"
    book.mkdir()
    results.mkdir()
    (results / "old.json").write_text("{}")
    paths = {"record": (book, results), "results": new / "results",
             "notebooks": new / "notebooks"}

    def failing_copy(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(reproduce.shutil, "copytree", failing_copy)
    with pytest.raises(OSError):
        reproduce._publish(paths, "cpu")
    assert [p.name for p in results.iterdir()] == ["old.json"]
    monkeypatch.undo()
    reproduce._publish(paths, "cpu")
    assert [p.name for p in results.iterdir()] == ["a.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "book", "executed", "results-record"]


# --------------------------------------------------------------------------
# Commands


@pytest.mark.parametrize(
    "argv",
    [["run", "--minutes", "0"], ["run", "--minutes", "-3"], ["run", "--limit", "0"]],
    ids=["minutes-0", "minutes-negative", "limit-0"],
)
def test_study_run_refuses_budgets_that_train_nothing(argv, capsys, monkeypatch):
    monkeypatch.setattr(experiments, "git_revision", lambda *a: "abc")
    assert study.main(argv) == 2
    assert "must be positive" in capsys.readouterr().err


def test_study_run_of_finished_units_exits_0(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(experiments, "git_revision", lambda *a: "abc")
    unit = _unit()
    study.write_run(tmp_path, unit.name, _document(unit.config))
    status = study.main(["run", "--units", unit.name, "--record-dir", str(tmp_path),
                         "--experiments", "pooling"])
    assert status == 0 and "the chosen units are done" in capsys.readouterr().out


def test_study_run_on_a_locked_unit_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(experiments, "git_revision", lambda *a: "abc")

    def locked(*args, **kwargs):
        raise experiments.RunLockedError("state/x is locked by process 42")

    monkeypatch.setattr(runner, "run_unit", locked)
    status = study.main(["run", "--units", "pooling-max-seed0", "--record-dir",
                         str(tmp_path), "--experiments", "pooling"])
    assert status == 2
    assert "Another `study run` is training" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, match",
    [(["run", "--minutes", "-1"], "must be positive"),
     (["run", "--units", "no-such-unit"], "Not units of the design")],
    ids=["minutes", "unknown-unit"],
)
def test_robustness_run_argument_errors_exit_2(argv, match, capsys, monkeypatch):
    monkeypatch.setattr(experiments, "git_revision", lambda *a: "abc")
    assert cli.robustness_main(argv) == 2
    assert match in capsys.readouterr().err


def test_claims_command_refuses_a_folder_that_is_not_a_record(tmp_path, capsys):
    assert cli.claims_main(["--record-dir", str(tmp_path)]) == 2
    assert "not a record directory" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("module", ["fourier", "adaptive", "models", "sparsity", "jsonio", "record.store"])
def test_modules_without_a_command_line_say_so(module):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", f"spectral.{module}"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "has no command line" in done.stderr


@pytest.mark.parametrize(
    "argv_and_file",
    [("study", "runs/pooling-max-seed0.json"), ("robustness", "preregistration.json")],
    ids=["study-status", "robustness-status"],
)
def test_a_damaged_file_ends_a_command_with_its_path_not_a_traceback(
    argv_and_file, capsys, monkeypatch, tmp_path
):
    from spectral import jsonio

    def damaged(argv=None):
        raise jsonio.DamagedFileError(f"{tmp_path / argv_and_file[1]} is damaged. Fix it.")

    assert jsonio.run_command(damaged) == 2
    assert argv_and_file[1] in capsys.readouterr().err


def test_reproduce_log_damage_is_reported_with_its_path(tmp_path):
    from spectral import jsonio

    log = tmp_path / "reproduce.json"
    log.write_text('{"chapters": ')
    with pytest.raises(jsonio.DamagedFileError, match="reproduce.json"):
        jsonio.read_json(log, "the execution log of this profile")
