"""Atomic, standard JSON writes and named errors for damaged files."""

import json
import os

import numpy as np
import pytest

from spectral import jsonio


def test_write_json_round_trips_and_converts_numpy(tmp_path):
    path = jsonio.write_json(tmp_path / "a" / "x.json", {"v": np.float32(0.5), "a": np.arange(2)})
    assert json.loads(path.read_text()) == {"v": 0.5, "a": [0, 1]}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]  # no temp left


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused_and_nothing_is_written(tmp_path, bad):
    path = tmp_path / "x.json"
    path.write_text('{"old": 1}')
    with pytest.raises(ValueError, match=r"run r1: it holds a non-finite number at rows\[1\]\.e"):
        jsonio.write_json(path, {"rows": [{"e": 1.0}, {"e": bad}]}, what="run r1")
    assert json.loads(path.read_text()) == {"old": 1}


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.json"
    jsonio.write_json(path, {"v": 1})

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        jsonio.write_json(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize(
    "text, match",
    [('{"a": 1', "is not valid JSON"), ('{"a": NaN}', "non-standard constant NaN"),
     (None, "does not exist")],
    ids=["truncated", "nan", "missing"],
)
def test_read_json_names_the_file_and_the_fix(tmp_path, text, match):
    path = tmp_path / "x.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(jsonio.DamagedFileError, match=match) as info:
        jsonio.read_json(path, "a test file", "Do the fix.")
    assert str(path) in str(info.value) and "Do the fix." in str(info.value)


def test_a_module_without_a_command_line_says_so_and_names_the_commands(capsys):
    assert jsonio.no_command_line("spectral.fourier") == 2
    err = capsys.readouterr().err
    assert err.startswith("spectral.fourier has no command line")
    assert all(command in err for command in jsonio.COMMANDS)
