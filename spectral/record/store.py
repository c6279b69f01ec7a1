"""Where the laptop record lives and how its run files are read and written.

A finished unit is `results/laptop/runs/<name>.json` (configuration,
per-epoch history, test error, wall time, provenance); its checkpoints live
under `state/laptop/runs/<name>/` until it finishes. `Unit` is the one unit
type of both laptop designs (the first study, `spectral.record.laptop`, and
the robustness study, `spectral.robustness`). Reading never wedges on a
damaged file (it is left out with a warning naming it); writing is atomic,
standard JSON, and never overwrites a run file of another configuration.
"""

import dataclasses
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


RECORD_DIR = ROOT / "results" / "laptop"


# Chapters 2 and 5 (information preservation, FFT exactness) keep their
# result files in the chapter record; the claims table reads them there.
CHAPTER_RESULTS = ROOT / "results" / "cpu"


STATE_DIR = ROOT / "state" / "laptop" / "runs"


EXIT_INCOMPLETE = 75


@dataclasses.dataclass(frozen=True)
class Unit:
    """One unit of a record: a training run (or, in the paper-scale
    record, a measurement or a search).

    Attributes:
        name: file stem of its result (`runs/<name>.json`).
        experiment: what it belongs to: `"pooling"`, `"speedup"`,
            `"modern"` (the first laptop study), `"tuned"`, `"regime"`,
            `"budget"`, `"plateau"` (the robustness study), or a group of
            the paper-scale record (`spectral.paper_record.GROUPS`).
        arm: the compared variant (`"max"`, `"spectral"`, ...).
        case: e.g. `"generic-3x3-adam"` for a speed-up unit; else `""`.
        config: its `TrainConfig`, or None while it waits for a choice
            (Adam seeds 1 and 2 wait for the learning-rate selection) and
            for a unit that does not train.
        role: `"selection"` (a learning-rate candidate), `"seed"` or
            `"control"`.
        kind: `"train"` (every laptop unit), `"throughput"` (a
            measurement) or `"search"`.
        settings: the arguments of a measurement unit, else None.
        blocked: why the unit cannot run yet (missing data), or None.
    """

    name: str
    experiment: str
    arm: str = ""
    case: str = ""
    config: object = None
    role: str = "seed"
    kind: str = "train"
    settings: dict = None
    blocked: str = None

    @property
    def runnable(self):
        """Whether the unit can run now: not blocked, and a training unit
        has its configuration (its learning rate is chosen)."""
        return not self.blocked and (self.kind != "train" or self.config is not None)

    @property
    def seed(self):
        return int(self.name.rsplit("seed", 1)[1])


def load_runs(record_dir=None):
    """`{name: document}` of the finished units in `record_dir/runs/`.

    A damaged run file (not JSON, or not a run document) is left out with
    a warning naming it and the fix, so it never wedges the commands that
    read the rest; `damaged_runs` lists such files.
    """
    runs = {}
    for path, document in _run_files(record_dir):
        if document is not None:
            runs[path.stem] = document
    return runs


def _run_files(record_dir):
    """`(path, document or None)` of every run file, None if damaged."""
    import warnings

    from spectral.jsonio import DamagedFileError
    from spectral.jsonio import read_json

    folder = Path(record_dir or RECORD_DIR) / "runs"
    out = []
    for path in sorted(folder.glob("*.json")):
        fix = (
            "Restore it with `git checkout -- "
            f"{path}` (a committed run) or delete it to train the unit again."
        )
        try:
            document = read_json(path, "a run file of the record", fix)
            if not isinstance(document, dict):
                raise DamagedFileError(
                    f"{path} (a run file of the record) is not a JSON "
                    f"object. {fix}"
                )
        except DamagedFileError as error:
            warnings.warn(str(error), stacklevel=3)
            document = None
        out.append((path, document))
    return out


def runs_of(units, record_dir=None):
    """`{name: document}` of the run files in `record_dir` that are units
    of `units` (an iterable of `Unit`) with the unit's configuration: a run
    of another design or configuration, or a unit still waiting for its
    configuration, is left out. Each design's "finished units" are this."""
    from spectral.experiments import same_config

    current = {u.name: u.config for u in units if u.config is not None}
    return {
        name: doc
        for name, doc in load_runs(record_dir).items()
        if name in current and same_config(doc.get("config"), current[name])
    }


def damaged_runs(record_dir=None):
    """Paths (as strings) of run files `load_runs` had to leave out."""
    return [str(p) for p, doc in _run_files(record_dir) if doc is None]


def best_validation_error(history):
    """The lowest validation error over a run's epochs."""
    return min(row["val_error"] for row in history)


SUPERSEDED_DIR = "superseded"


def write_run(record_dir, name, document):
    """Writes a finished unit's `record_dir/runs/<name>.json` atomically
    (the file `load_runs` reads); returns its path.

    A number that is not finite raises `ValueError` naming the run, and
    nothing is written. An existing file for `name` with another
    configuration (a run of another design) is never overwritten: it is
    moved to `record_dir/superseded/<name>.<n>.json` first (see
    `moved_aside`).
    """
    from spectral import jsonio
    from spectral.experiments import _stored_config

    text = jsonio.dumps(document, indent=1, what=f"the run file of {name}")
    path = Path(record_dir) / "runs" / f"{name}.json"
    if path.exists():
        try:
            old = jsonio.read_json(path)
            same = _stored_config(old.get("config")) == _stored_config(
                document.get("config")
            )
        except (jsonio.DamagedFileError, AttributeError):
            same = False
        if not same:
            aside = Path(record_dir) / SUPERSEDED_DIR
            aside.mkdir(parents=True, exist_ok=True)
            n = len(list(aside.glob(f"{name}.*.json")))
            path.replace(aside / f"{name}.{n}.json")
    return jsonio.write_text_atomic(path, text)


def moved_aside(record_dir=None):
    """Run files `write_run` moved aside (`record_dir/superseded/`)."""
    folder = Path(record_dir or RECORD_DIR) / SUPERSEDED_DIR
    return sorted(p.name for p in folder.glob("*.json"))


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.store"))
