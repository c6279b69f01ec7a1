"""Tests of `spectral.reproduce`: profiles, chapters, staging, exit codes."""

import json
import re
import textwrap
from pathlib import Path

import pytest

from spectral import reproduce

ROOT = Path(__file__).resolve().parents[1]
RUNNER_KEYS = {"profile", "results_dir", "state_dir", "deadline"}


def test_every_profile_has_the_same_parameters():
    keys = [set(reproduce.profile_parameters(p)) for p in reproduce.PROFILES]
    assert keys[0] == keys[1] == keys[2]


@pytest.mark.parametrize("chapter", reproduce.chapters(), ids=lambda p: p.stem)
def test_each_chapter_declares_exactly_the_shared_parameters(chapter):
    text = chapter.read_text()
    cells = re.findall(
        r"```\{code-cell\} ipython3\n:tags: \[parameters\]\n"
        r"\n(.*?)```",
        text,
        re.S,
    )
    assert len(cells) == 1, "exactly one parameters cell"
    names = set(re.findall(r"^(\w+) = ", cells[0], re.M))
    # repository_url is the reader's, on Colab (see the chapter's next cell)
    expected = (
        set(reproduce.profile_parameters("smoke"))
        | RUNNER_KEYS
        | {"repository_url"}
    )
    assert names == expected
    assert not re.search(r"^\s*(def|class) ", text, re.M)


# A hidden cell is plumbing (imports, a call, glue), never an experiment:
# the library computes and writes every result file (issue 21).
HIDDEN_CELL_LINES = 12
WRITES_A_FILE = re.compile(r"open\(|write_json|json\.dump|\.to_csv\(|write_text\(|savefig\(")


@pytest.mark.parametrize("chapter", reproduce.chapters(), ids=lambda p: p.stem)
def test_hidden_cells_are_short_and_write_no_result_file(chapter):
    jupytext = pytest.importorskip("jupytext")

    notebook = jupytext.read(chapter, fmt="md:myst")
    hidden = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and "remove-cell" in cell.metadata.get("tags", [])
    ]
    assert hidden, "every chapter has its hidden set-up cells"
    for source in hidden:
        code = [
            line for line in source.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        assert len(code) <= HIDDEN_CELL_LINES, source
        assert not WRITES_A_FILE.search(source), source


def test_chapter_selection_and_order():
    names = [p.name[:2] for p in reproduce.chapters()]
    assert names == sorted(names) and names[0] == "01" and names[-1] == "90"
    assert [p.name[:2] for p in reproduce.chapters(["03", "01"])] == [
        "01",
        "03",
    ]


def test_backend_choice(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert reproduce.choose_backend() == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    assert reproduce.choose_backend() in ("tensorflow", "jax")


def test_smoke_never_writes_the_record(tmp_path):
    assert reproduce.layout("smoke", tmp_path)["record"] is None
    paper = reproduce.layout("paper", tmp_path)
    assert paper["record"] == (
        tmp_path / "book",
        tmp_path / "results" / "paper",
    )
    assert tmp_path / "state" in paper["notebooks"].parents


def _fake_book(root, body):
    (root / "book" / "params").mkdir(parents=True)
    for profile in reproduce.PROFILES:
        (root / "book" / "params" / f"{profile}.yml").write_text("value: 1\n")
    header = textwrap.dedent("""\
        ---
        jupytext:
          text_representation:
            extension: .md
            format_name: myst
        kernelspec:
          display_name: Python 3
          language: python
          name: python3
        ---

        # A chapter

        ```{code-cell} ipython3
        :tags: [parameters]

        value = 0
        profile = "smoke"
        results_dir = "."
        state_dir = "."
        deadline = None
        ```

        ```{code-cell} ipython3
        """)
    (root / "book" / "01-first.md").write_text(header + body + "\n```\n")


@pytest.mark.slow
def test_success_publishes_the_record(tmp_path):
    _fake_book(
        tmp_path,
        "import json, pathlib\n"
        "pathlib.Path(results_dir, 'out.json').write_text("
        "json.dumps({'value': value, 'profile': profile}))",
    )
    (tmp_path / "results").mkdir()
    assert reproduce.reproduce("cpu", root=tmp_path) == 0
    assert (tmp_path / "book" / "01-first.ipynb").is_file()
    out = json.loads((tmp_path / "results" / "cpu" / "out.json").read_text())
    assert out == {"value": 1, "profile": "cpu"}
    log = json.loads(
        (tmp_path / "results" / "cpu" / "reproduce.json").read_text()
    )
    assert log["chapters"]["01-first"]["status"] == "ok"


@pytest.mark.slow
def test_failure_reports_the_cell_and_keeps_the_record(tmp_path, capsys):
    _fake_book(tmp_path, "raise ValueError('broken on purpose')")
    assert reproduce.reproduce("paper", root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "01-first: cell" in err and "broken on purpose" in err
    assert not (tmp_path / "book" / "01-first.ipynb").exists()
    assert not (tmp_path / "results" / "paper").exists()


@pytest.mark.slow
def test_a_dead_kernel_is_reported_and_recorded(tmp_path, capsys):
    _fake_book(tmp_path, "import os\nos._exit(9)")
    assert reproduce.reproduce("paper", root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "01-first: the kernel failed outside any cell" in err
    assert "Traceback" not in err
    log = json.loads(
        (
            tmp_path / "state" / "paper" / "results" / "reproduce.json"
        ).read_text()
    )
    assert log["chapters"]["01-first"]["status"] == "failed"
    assert not (tmp_path / "book" / "01-first.ipynb").exists()


@pytest.mark.slow
def test_deadline_stop_is_resumable(tmp_path, capsys):
    _fake_book(
        tmp_path,
        "from spectral.experiments import IncompleteRunError\n"
        "raise IncompleteRunError('stopped')",
    )
    assert (
        reproduce.reproduce("paper", root=tmp_path) == reproduce.EXIT_INCOMPLETE
    )
    assert "resume" in capsys.readouterr().err


@pytest.mark.slow
def test_prune_finished_leaves_unfinished_runs(tmp_path, capsys):
    _fake_book(
        tmp_path,
        "from pathlib import Path\n"
        "for name, finished in (('done', True), ('half', False)):\n"
        "    run = Path(state_dir, name)\n"
        "    (run / 'checkpoints').mkdir(parents=True)\n"
        "    (run / 'checkpoints' / 'latest').write_text('epoch_0001')\n"
        "    if finished:\n"
        "        (run / 'result.json').write_text('{}')\n"
        "from spectral.experiments import IncompleteRunError\n"
        "raise IncompleteRunError('half is unfinished')",
    )
    status = reproduce.reproduce("paper", root=tmp_path, prune_finished=True)
    assert status == reproduce.EXIT_INCOMPLETE
    runs = reproduce.layout("paper", tmp_path)["state"]
    assert not (runs / "done" / "checkpoints").exists()
    assert (runs / "done" / "result.json").is_file()
    assert (runs / "half" / "checkpoints" / "latest").is_file()
    assert "Deleted finished runs' checkpoints" in capsys.readouterr().out


def test_summary_has_the_keys_the_record_needs(tmp_path):
    provenance = {"git_sha": "abc", "backend": "jax"}
    (tmp_path / "cifar10.json").write_text(
        json.dumps(
            {
                "test_error": {
                    "mean": 0.1,
                    "std": 0.01,
                    "n": 3,
                    "per_seed": [0.1],
                },
                "cifar100": None,
                "data_source": "JPEG",
                "provenance": provenance,
            }
        )
    )
    cases = {k: {"mean_speedup": 2.0} for k in reproduce.SPEEDUP_KEYS}
    (tmp_path / "speedup.json").write_text(
        json.dumps({"cases": cases, "provenance": provenance})
    )
    summary = reproduce.summarize(tmp_path)
    assert summary["cifar10_test_error"] == {"mean": 0.1, "std": 0.01, "n": 3}
    assert summary["cifar100_test_error"] is None
    assert set(summary["speedup"]) == {
        "deep_3x3",
        "deep_5x5",
        "generic_3x3",
        "generic_5x5",
        "sp_pooling_3x3",
        "sp_pooling_5x5",
    }
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["provenance"]["git_sha"] and summary["provenance"]["date"]
    files = reproduce.result_files_table(tmp_path)
    assert files.loc["summary.json", "commit"] != "unknown"
    assert (
        files.loc["summary.json", "backend"] == summary["provenance"]["backend"]
    )


def test_summary_of_an_empty_profile_is_all_null(tmp_path):
    summary = reproduce.summarize(tmp_path)
    assert summary["cifar10_test_error"] is None and summary["speedup"] is None


@pytest.mark.slow
def test_injected_parameters_are_collapsed_and_paths_relative(tmp_path):
    _fake_book(tmp_path, "print(results_dir)")
    (tmp_path / "results").mkdir()
    assert reproduce.reproduce("cpu", root=tmp_path) == 0
    notebook = json.loads((tmp_path / "book" / "01-first.ipynb").read_text())
    injected = [
        c
        for c in notebook["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    assert len(injected) == 1 and "hide-cell" in injected[0]["metadata"]["tags"]
    defaults = [
        c
        for c in notebook["cells"]
        if "parameters" in c["metadata"].get("tags", [])
    ]
    assert len(defaults) == 1
    assert "remove-cell" in defaults[0]["metadata"]["tags"]
    assert "state/cpu/results" in "".join(injected[0]["source"])
    assert str(tmp_path) not in "".join(injected[0]["source"])


def test_unknown_chapter_deletes_nothing(tmp_path, capsys):
    _fake_book(tmp_path, "x = 1")
    kept = tmp_path / "_build" / "smoke" / "01-first.ipynb"
    kept.parent.mkdir(parents=True)
    kept.write_text("{}")
    assert reproduce.reproduce("smoke", ["99"], root=tmp_path) == 1
    assert "none of ['99']" in capsys.readouterr().err
    assert kept.exists()


@pytest.mark.slow
def test_selected_chapters_keep_the_others_outputs(tmp_path):
    _fake_book(tmp_path, "x = 1")
    other = tmp_path / "_build" / "smoke" / "02-second.ipynb"
    other.parent.mkdir(parents=True)
    other.write_text("{}")
    assert reproduce.reproduce("smoke", ["01"], root=tmp_path) == 0
    assert other.exists()
    assert (tmp_path / "_build" / "smoke" / "01-first.ipynb").exists()


def test_synthetic_stand_in_is_announced_loudly(tmp_path, monkeypatch):
    monkeypatch.delenv("SPECTRAL_DATA_DIR", raising=False)
    params = {"dataset": "cifar10", "allow_synthetic": True}
    warning = reproduce.synthetic_warning({**params, "data_dir": str(tmp_path)})
    assert "SYNTHETIC" in warning and str(tmp_path) in warning
    (tmp_path / "cifar10-jpeg.npz").write_bytes(b"")
    assert (
        reproduce.synthetic_warning({**params, "data_dir": str(tmp_path)})
        is None
    )
    no_fallback = {**params, "allow_synthetic": False, "data_dir": "/nowhere"}
    assert reproduce.synthetic_warning(no_fallback) is None


def test_log_noise_is_stripped_and_other_stream_text_kept():
    import nbformat

    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called "
        "are written to STDERR\n"
        "I0000 00:00:1796193439.217189   25781 port.cc:153] oneDNN custom "
        "operations are on.\n"
        "Downloading data from https://example.org/x.tar.gz\n"
    )
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=noise),
        nbformat.v4.new_output(
            "stream", name="stderr", text=noise + "UserWarning: look here\n"
        ),
        nbformat.v4.new_output("stream", name="stdout", text="42\n"),
    ]
    notebook.cells.append(cell)
    assert reproduce.strip_log_noise(notebook) == 6
    texts = [o["text"] for o in notebook.cells[0].outputs]
    assert texts == ["UserWarning: look here\n", "42\n"]


def test_result_files_table_finds_nested_data_sources(tmp_path):
    provenance = {
        "git_sha": "0123456789abcdef0123",
        "backend": "tensorflow",
        "device": "cpu: Example CPU (2 cores)",
        "date": "2026-12-02T09:00:00+00:00",
    }
    (tmp_path / "information.json").write_text(
        json.dumps(
            {"cifar": {"data_source": "JPEG copy"}, "provenance": provenance}
        )
    )
    (tmp_path / "bench.json").write_text(json.dumps({"provenance": provenance}))
    (tmp_path / "reproduce.json").write_text("{}")
    table = reproduce.result_files_table(tmp_path)
    assert list(table.index) == ["bench.json", "information.json"]
    assert table.loc["information.json", "data"] == "JPEG copy"
    assert table.loc["bench.json", "data"] == "none (no data read)"
    assert table.loc["bench.json", "commit"] == "0123456789ab"
    assert table.loc["bench.json", "date"] == "2026-12-02"


def _colab_cell(chapter):
    jupytext = pytest.importorskip("jupytext")

    notebook = jupytext.read(ROOT_BOOK / chapter)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in cells[0].metadata.get("tags", [])
    assert "repository_url = None" in cells[0].source
    assert "google.colab" in cells[1].source
    return cells[1].source


ROOT_BOOK = reproduce.ROOT / "book"


@pytest.mark.parametrize(
    "chapter", sorted(p.name for p in ROOT_BOOK.glob("[0-9][0-9]-*.md"))
)
def test_every_chapter_installs_itself_on_colab(chapter, monkeypatch, capsys):
    """Right after its parameters, every chapter has a cell that, on Colab
    without the package, asks for `repository_url` or installs from it; and
    that does nothing anywhere else."""
    import importlib.util
    import subprocess
    import sys
    import types

    source = _colab_cell(chapter)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a[0]))
    exec(source, {"repository_url": None, "profile": "cpu"})  # not on Colab
    assert calls == []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("colab"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="set repository_url"):
        exec(source, {"repository_url": None, "profile": "cpu"})
    exec(source, {"repository_url": "https://github.com/o/r", "profile": "cpu"})
    assert (
        calls[-1][-1] == "spectral-cnn[tensorflow] @ git+https://github.com/o/r"
    )
    assert capsys.readouterr().out.strip() == reproduce.colab_message(
        "https://github.com/o/r", "cpu")


def test_run_log_reads_the_execution_log_or_nothing(tmp_path):
    assert reproduce.run_log(tmp_path) == {}
    (tmp_path / "reproduce.json").write_text('{"profile": "cpu", "chapters": {}}')
    assert reproduce.run_log(tmp_path) == {"profile": "cpu", "chapters": {}}


def test_build_glue_names_the_execution():
    environment = {"backend": "tensorflow", "device": "cpu: X, 2 cores",
                   "git_sha": None, "date": "2026-12-03"}
    assert reproduce.build_glue("cpu", environment) == {
        "build-profile": "cpu", "build-backend": "tensorflow",
        "build-device": "cpu: X, 2 cores", "build-sha": "unknown",
        "build-date": "2026-12-03"}


@pytest.mark.slow
def test_checkpoint_footprints_size_every_paper_network():
    rows = reproduce.checkpoint_footprints()
    assert [r["blocks"] for r in rows][2:] == ["—", "—"]
    assert all(r["mib"] > 1 for r in rows)
    # Adam keeps two slots per weight, SGD with momentum one: same network, larger
    assert rows[1]["mib"] > rows[0]["mib"]


@pytest.mark.slow
def test_a_resumed_run_re_executes_a_chapter_whose_source_or_commit_changed(
        tmp_path, capsys, monkeypatch):
    from spectral.training import provenance

    monkeypatch.setattr(provenance, "git_revision", lambda path=None: "abc")
    _fake_book(tmp_path, "x = 1")
    assert reproduce.reproduce("paper", root=tmp_path) == 0
    assert "01-first: executing" in capsys.readouterr().out
    assert reproduce.reproduce("paper", root=tmp_path) == 0  # resumed: nothing new
    assert "already executed from this source and commit, kept" in capsys.readouterr().out
    chapter = tmp_path / "book" / "01-first.md"
    chapter.write_text(chapter.read_text().replace("x = 1", "x = 2"))
    assert reproduce.reproduce("paper", root=tmp_path) == 0
    assert "01-first: executing" in capsys.readouterr().out
    monkeypatch.setattr(provenance, "git_revision", lambda path=None: "def")
    assert reproduce.reproduce("paper", root=tmp_path) == 0
    assert "01-first: executing" in capsys.readouterr().out


def test_an_uncommitted_checkout_never_matches_an_earlier_execution(monkeypatch, tmp_path):
    from spectral.training import provenance

    source = tmp_path / "01.md"
    source.write_text("text")
    monkeypatch.setattr(provenance, "git_revision", lambda path=None: "abc+dirty")
    first = reproduce.chapter_fingerprint(source)
    assert first["git_sha"].startswith("uncommitted")
    monkeypatch.setattr(provenance, "git_revision", lambda path=None: "abc")
    assert reproduce.chapter_fingerprint(source) == {
        "source_sha256": first["source_sha256"], "git_sha": "abc"}
