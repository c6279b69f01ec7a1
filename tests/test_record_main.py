"""`python -m spectral.record`: one command line for every record."""

import subprocess
import sys

import pytest

from spectral.record import __main__ as record_main


def test_without_a_record_it_prints_the_usage(capsys):
    assert record_main.main([]) == 0
    assert "python -m spectral.record paper status" in capsys.readouterr().out


def test_an_unknown_record_exits_2(capsys):
    assert record_main.main(["laptop", "status"]) == 2
    assert "study status|run|summarize" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, expected",
    [(["claims"], "information-preservation"),
     (["paper", "status"], "throughput-float32"),
     (["robustness", "status"], "tuned-spectral-ortho-lr0.028-seed0"),
     (["study", "status"], "pooling-max-seed0")],
)
def test_each_record_answers_as_its_own_command(argv, expected, capsys):
    assert record_main.main(argv) == 0
    assert expected in capsys.readouterr().out


@pytest.mark.slow
def test_it_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "spectral.record", "claims"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "classification" in done.stdout
