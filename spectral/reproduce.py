"""Executes the book's chapters with papermill: `make reproduce PROFILE=...`.

`python -m spectral.reproduce --profile smoke|cpu|paper [--chapters 01 03]`

* Each `book/NN-*.md` chapter (jupytext MyST) is executed by papermill with
  the parameters of `book/params/<profile>.yml` plus `profile`,
  `results_dir`, `state_dir` and `deadline`.
* `smoke` writes to `_build/smoke/` (never the record) and starts clean.
* `cpu` and `paper` stage everything under `state/<profile>/`; only when
  every chapter has succeeded are the executed notebooks copied to
  `book/NN-*.ipynb` and the result files to `results/<profile>/` — the
  record that `make book` renders. A failing or interrupted run leaves the
  record untouched.
* Long profiles run across several invocations: training runs checkpoint
  every epoch under `state/<profile>/runs/`, `--deadline-minutes` starts no
  epoch expected to end after that long (exit status 75, "resume me"), and
  the next invocation continues; finished chapters are not executed again. The
  state directory can be copied between machines; `--prune-finished` drops
  the checkpoints of finished runs so that only unfinished ones travel.
* Without TensorFlow installed (the GPU machines here), the chapters run on
  the JAX backend.

A failing cell fails the run: the chapter, the cell and its traceback are
printed, and the exit status is 1.
"""

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

from spectral import jsonio
# A profile's result files, summarised and tabulated: `spectral.result_files`.
from spectral.result_files import (  # noqa: F401 (re-exported)
    SPEEDUP_KEYS,
    data_source_of,
    result_files_table,
    summarize,
)

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ("smoke", "cpu", "paper")
EXIT_INCOMPLETE = 75


def chapters(selected=None, book=None):
    """The chapter sources `book/NN-*.md`, optionally filtered by number."""
    book = Path(book or ROOT / "book")
    paths = sorted(book.glob("[0-9][0-9]-*.md"))
    if selected:
        paths = [p for p in paths if p.name[:2] in set(selected)]
    return paths


def choose_backend():
    """`KERAS_BACKEND` if set, else the backend this process's Keras uses.

    One rule for the runner and the library: Keras's own configuration, with
    JAX where TensorFlow is missing (`import spectral` sets that, see
    `spectral._backend`). The kernels get the same through `KERAS_BACKEND`.
    """
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    import keras

    return keras.backend.backend()


def profile_parameters(profile, root=None):
    """The parameters of `book/params/<profile>.yml`."""
    root = Path(root or ROOT)
    path = root / "book" / "params" / f"{profile}.yml"
    if not path.is_file():
        raise FileNotFoundError(
            f"No parameter file {path} for profile {profile!r}."
        )
    try:
        import yaml
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "Executing the book needs its extra: pip install -e '.[book]' "
            "(PyYAML, papermill, jupytext, ...)."
        ) from error
    return yaml.safe_load(path.read_text())


def layout(profile, root=None):
    """Directories of a profile: staging notebooks, results, state, record."""
    root = Path(root or ROOT)
    if profile == "smoke":
        base = root / "_build" / "smoke"
        return {
            "notebooks": base,
            "results": base / "results",
            "state": base / "state",
            "record": None,
        }
    base = root / "state" / profile
    return {
        "notebooks": base / "notebooks",
        "results": base / "results",
        "state": base / "runs",
        "record": (root / "book", root / "results" / profile),
    }


def execute_chapter(source, output, parameters, cwd):
    """Executes one chapter source into `output` with papermill."""
    import jupytext
    import papermill

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    try:
        papermill.execute_notebook(
            notebook,
            str(output),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    finally:
        _collapse_injected_parameters(output)


# Lines that backends and downloads print on stderr: log noise, not results.
LOG_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWE]\d{4} [\d:. ]+\d+ \S+:\d+\]"
    r"|To enable the following instructions:"
    r"|Downloading data from "
    r"|\s*$)"
)


def strip_log_noise(notebook):
    """Removes backend log lines and download messages from the
    stream outputs of an executed notebook (in place); returns the number of
    lines removed. Any other stream text (a warning a reader should see)
    is kept."""
    removed = 0
    for cell in notebook.cells:
        kept_outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                if isinstance(text, list):
                    text = "".join(text)
                lines = text.splitlines(keepends=True)
                kept = [line for line in lines if not LOG_NOISE.match(line)]
                removed += len(lines) - len(kept)
                if not kept:
                    continue
                output["text"] = "".join(kept)
            kept_outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept_outputs
    return removed


def _collapse_injected_parameters(path):
    """Tidies an executed chapter for the book.

    The chapter's default `parameters` cell is removed from the page; the
    cell papermill injected is tagged `hide-cell`, so its values stay on the
    page behind a toggle and a reader can see which profile produced it;
    backend log lines are dropped (`strip_log_noise`).
    """
    import nbformat

    if not Path(path).is_file():
        return
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "hide-cell" not in tags:
            tags.append("hide-cell")
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    strip_log_noise(notebook)
    nbformat.write(notebook, str(path))


def _publish(paths, profile):
    """Swaps the new record in only once it is complete.

    The new results folder is copied next to the record first
    (`<results>.new`); only after the copy succeeded is the old folder
    renamed aside (`<results>.old`), the new one renamed into place and the
    old one removed. A failed copy leaves the old record untouched; the
    notebooks are copied last, each atomically.
    """
    book, results = paths["record"]
    staging = results.with_name(results.name + ".new")
    previous = results.with_name(results.name + ".old")
    for stale in (staging, previous):
        if stale.exists():
            shutil.rmtree(stale)
    shutil.copytree(paths["results"], staging)
    if results.exists():
        os.replace(results, previous)
    os.replace(staging, results)
    if previous.exists():
        shutil.rmtree(previous)
    for notebook in sorted(paths["notebooks"].glob("[0-9][0-9]-*.ipynb")):
        tmp = book / f".{notebook.name}.tmp"
        shutil.copy2(notebook, tmp)
        os.replace(tmp, book / notebook.name)
    print(f"Published the {profile} record: book/*.ipynb and {results}")


def reproduce(
    profile,
    selected=None,
    deadline_minutes=None,
    root=None,
    extra_parameters=None,
    prune_finished=False,
):
    """Runs the chapters of a profile; returns an exit status (0, 1, 75).

    With `prune_finished`, the checkpoints of finished training runs are
    deleted afterwards, whatever the outcome (see
    `spectral.experiments.prune_finished`).
    """
    root = Path(root or ROOT)
    if profile not in PROFILES:
        raise ValueError(
            f"Unknown profile {profile!r}; expected one of {PROFILES}."
        )
    try:
        return _run_chapters(
            profile, selected, deadline_minutes, root, extra_parameters
        )
    finally:
        state = layout(profile, root)["state"]
        if prune_finished and state.exists():
            from spectral import experiments

            freed = experiments.prune_finished(state)
            print(
                f"Deleted finished runs' checkpoints: {freed / 2**20:.1f} MiB"
            )


def run_log(results_dir):
    """The execution log `reproduce` writes beside the chapters' results
    (`reproduce.json`: chapters with status and seconds, parameters), or
    `{}` when the chapters were executed another way."""
    path = Path(results_dir) / "reproduce.json"
    return jsonio.read_json(path, "the execution log") if path.exists() else {}


def build_glue(profile, environment):
    """The appendix's glue values about this execution, by glue name:
    profile, backend, device, commit and date (`environment` is
    `experiments.provenance()`)."""
    return {
        "build-profile": profile,
        "build-backend": environment["backend"],
        "build-device": environment["device"],
        "build-sha": environment["git_sha"] or "unknown",
        "build-date": environment["date"],
    }


def checkpoint_footprints():
    """Rows `{"run", "blocks", "mib"}`: the size of one checkpoint of each
    network the paper profile trains (`experiments.checkpoint_bytes`), at
    the paper profile's number of blocks — what a run keeps on disk and
    what must travel to resume it on another machine."""
    from spectral import experiments

    blocks = profile_parameters("paper")["num_blocks"]
    adam = dict(optimizer="adam", learning_rate=1e-3)
    footprints = [
        ("§5.1 network (chapter 3), SGD with momentum",
         dict(network="spectral_pooling", num_blocks=blocks)),
        ("§5.1 network (chapter 4), Adam",
         dict(network="spectral_pooling", num_blocks=blocks, **adam)),
        ("generic network 5×5 (chapter 4), Adam",
         dict(network="generic", filter_size=5, **adam)),
        ("deep network 5×5 (chapter 4), Adam",
         dict(network="deep", filter_size=5, **adam)),
    ]
    rows = []
    for label, fields in footprints:
        config = experiments.TrainConfig(**fields)
        rows.append({
            "run": label,
            "blocks": config.num_blocks
            if config.network == "spectral_pooling" else "—",
            "mib": experiments.checkpoint_bytes(config) / 2**20,
        })
    return rows


def chapter_fingerprint(source):
    """What an execution of the chapter `source` depends on:
    `{"source_sha256", "git_sha"}` (the chapter's text and the commit of
    the code it calls). A resumed `reproduce` keeps an executed chapter
    only when both are unchanged; an uncommitted checkout (`+dirty`) or no
    checkout never matches, so its chapters always execute again."""
    import hashlib

    from spectral.training.provenance import git_revision

    revision = git_revision(ROOT)
    if revision is None or revision.endswith("+dirty"):
        revision = f"uncommitted, executed at {time.time_ns()}"
    return {
        "source_sha256": hashlib.sha256(Path(source).read_bytes()).hexdigest(),
        "git_sha": revision,
    }


def colab_message(repository_url, profile):
    """What a chapter opened on Google Colab prints once it has installed
    the package from `repository_url`: where from, and how to change the
    scale it executes at.

    Example:

    >>> print(colab_message("https://github.com/o/r", "cpu"))  # doctest: +ELLIPSIS
    Installed spectral-cnn from https://github.com/o/r. The parameters cell holds the profile 'cpu'; ...
    """
    return (
        f"Installed spectral-cnn from {repository_url}. The parameters cell "
        f"holds the profile '{profile}'; to re-execute at another scale, copy "
        "the values of book/params/<profile>.yml from the repository into it "
        "(profile 'paper': the paper's protocol, for a GPU runtime). Without "
        "data_dir the official CIFAR archive is downloaded."
    )


def synthetic_warning(parameters):
    """A loud console warning when synthetic images may stand in, else None.

    Chapters fall back to synthetic images only where the profile allows it
    (`allow_synthetic`) and no CIFAR copy can be found; their pages then say
    so, and this says it on the console before anything runs.
    """
    from spectral import data as data_lib

    dataset = parameters.get("dataset", "cifar10")
    if not parameters.get("allow_synthetic") or dataset == "synthetic":
        return None
    data_dir = parameters.get("data_dir")
    if data_lib.local_copy(dataset, data_dir) is not None:
        return None
    where = data_lib.data_directory(data_dir)
    bar = "!" * 72
    return (
        f"{bar}\nWARNING: no {dataset} copy in {where}. Unless the official "
        "archive downloads,\nthis run uses SYNTHETIC images: its pages and "
        "numbers show only that the\ncode runs, never a result. Set "
        f"${data_lib.ENV_DATA_DIR} to a folder holding the data.\n{bar}"
    )


def _run_chapters(profile, selected, deadline_minutes, root, extra_parameters):
    import papermill

    sources = chapters(selected, root / "book")
    if not sources:
        print(
            f"No chapters to execute: none of {sorted(selected or [])} "
            f"matches a chapter in {root / 'book'}.",
            file=sys.stderr,
        )
        return 1
    os.environ["KERAS_BACKEND"] = choose_backend()
    paths = layout(profile, root)
    if profile == "smoke" and paths["notebooks"].exists():
        if selected:
            # Only the selected chapters start clean; the others' outputs
            # and the shared results and runs stay.
            for source in sources:
                (paths["notebooks"] / (source.stem + ".ipynb")).unlink(
                    missing_ok=True
                )
        else:
            shutil.rmtree(paths["notebooks"])
    for key in ("notebooks", "results", "state"):
        paths[key].mkdir(parents=True, exist_ok=True)
    deadline = None
    if deadline_minutes is not None:
        deadline = time.time() + 60 * float(deadline_minutes)
    parameters = profile_parameters(profile, root)
    parameters.update(extra_parameters or {})
    # Paths relative to the repository root (the kernels' working
    # directory), so executed notebooks name no machine's directories.
    parameters.update(
        profile=profile,
        results_dir=os.path.relpath(paths["results"], root),
        state_dir=os.path.relpath(paths["state"], root),
        deadline=deadline,
    )
    warning = synthetic_warning(parameters)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    log_path = paths["results"] / "reproduce.json"
    log = (
        jsonio.read_json(
            log_path,
            "the execution log of this profile",
            f"Delete it to execute every chapter of {profile} again.",
        )
        if log_path.exists()
        else {}
    )
    log.update(
        profile=profile,
        backend=os.environ["KERAS_BACKEND"],
        parameters={k: v for k, v in parameters.items() if k != "deadline"},
    )
    log.setdefault("chapters", {})
    for source in sources:
        output = paths["notebooks"] / (source.stem + ".ipynb")
        fingerprint = chapter_fingerprint(source)
        entry = log["chapters"].get(source.stem, {})
        done = entry.get("status") == "ok" and all(
            entry.get(key) == value for key, value in fingerprint.items())
        if done and output.exists() and profile != "smoke":
            print(f"{source.stem}: already executed from this source and "
                  "commit, kept")
            continue
        print(
            f"{source.stem}: executing ({profile}, "
            f"{os.environ['KERAS_BACKEND']})",
            flush=True,
        )
        start = time.time()
        try:
            execute_chapter(source, output, parameters, root)
        except papermill.PapermillExecutionError as error:
            status = (
                "incomplete"
                if error.ename == "IncompleteRunError"
                else "failed"
            )
            log["chapters"][source.stem] = {
                "status": status,
                "seconds": time.time() - start,
            }
            jsonio.write_json(log_path, log)
            if status == "incomplete":
                print(
                    f"{source.stem}: stopped at the deadline; run the same "
                    "command again to resume.",
                    file=sys.stderr,
                )
                return EXIT_INCOMPLETE
            print(
                f"{source.stem}: cell {error.cell_index} failed "
                f"({error.ename}: {error.evalue})\n"
                + "\n".join(error.traceback),
                file=sys.stderr,
            )
            print(f"The partial notebook is {output}.", file=sys.stderr)
            return 1
        except Exception as error:  # the kernel died, could not start, ...
            log["chapters"][source.stem] = {
                "status": "failed",
                "seconds": time.time() - start,
                "error": f"{type(error).__name__}: {error}",
            }
            jsonio.write_json(log_path, log)
            print(
                f"{source.stem}: the kernel failed outside any cell "
                f"({type(error).__name__}: {error}). Out of memory or killed? "
                f"The partial notebook is {output}.",
                file=sys.stderr,
            )
            return 1
        log["chapters"][source.stem] = {
            "status": "ok",
            "seconds": time.time() - start,
            **fingerprint,
        }
        jsonio.write_json(log_path, log)
        print(f"{source.stem}: ok in {time.time() - start:.0f} s", flush=True)
    summarize(paths["results"])
    if paths["record"] is not None and not selected:
        _publish(paths, profile)
    return 0


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.reproduce", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--profile", default="smoke", choices=PROFILES)
    parser.add_argument(
        "--chapters",
        nargs="*",
        help="chapter numbers to run (default: all); a "
        "selection never publishes the record",
    )
    parser.add_argument(
        "--deadline-minutes",
        type=float,
        default=None,
        help="start no training epoch that is expected to end later than "
        "this (exit status 75: run the same command again to resume)",
    )
    parser.add_argument(
        "--prune-finished",
        action="store_true",
        help="afterwards, delete the checkpoints of finished training runs "
        "(their results are kept), so that the state to carry to another "
        "machine is the unfinished runs' only",
    )
    args = parser.parse_args(argv)
    return reproduce(
        args.profile,
        args.chapters,
        args.deadline_minutes,
        prune_finished=args.prune_finished,
    )


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
