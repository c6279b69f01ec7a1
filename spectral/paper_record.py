"""The paper-scale record, grown unit by unit whenever a GPU is lent.

The paper's protocols (150-200 epochs at full width) need an accelerator,
and one is lent to few working sessions, for minutes at a time. So the
paper-scale record is a list of independent *units*, trained in this
priority order, each of which resumes across calls and sessions:

1. `throughput-float32`, `throughput-mixed_bfloat16` — training images per
   second of every network of the paper (`spectral.bench.
   training_throughput`, device loop, batch 128): what everything else
   costs;
2. `classification-cifar10-seed0` (then seeds 1 and 2) — the §5.1 network
   with the paper's hyper-parameters (M = 8, gamma = 0.85, alpha = 0.30,
   beta = 0.15, SGD with momentum 0.95 and learning rate 0.0088 divided by
   10 after epochs 100 and 140 of 150, no augmentation) on all 50,000
   training images, tested on the 10,000 test images after every epoch;
3. the speed-up pairs at paper scale: the laptop study's design
   (`spectral.study`: Adam learning rate chosen on a 5,000-image
   validation split at seed 0, seeds 1-2 at the chosen rate, the SGD
   control and its rounding floor) at full width, 200 epochs, all 45,000
   training images outside the validation split;
4. `search` — the 20-trial Bayesian search of §5.1 (`spectral.search`;
   each trial is the classification protocol above with the trial's
   values, 150 epochs on 45,000 images, scored on a 5,000-image
   validation split; a trial resumes from its checkpoint across calls);
5. `classification-cifar100-seed0..2` — where the official CIFAR-100
   archive exists.

Every training unit uses the device loop (`TrainConfig.loop="device"`, JAX).
A finished unit writes `results/paper/runs/<name>.json` (configuration,
per-epoch history, test error, wall time, provenance: the commit, the
device); checkpoints stay under `state/paper/record/` and are never
committed. `pack` bundles the unfinished units' newest checkpoints into
parts small enough to come back from a device call, and `unpack` restores
them there or here, so a unit continues where the last call stopped. No
unit depends on a checkpoint larger than a call carries back
(`spectral.record.device_call`): the Generic network at full width with
Adam's state is about 152 MiB (the §5.1 network 28 MiB, Deep 11-30 MiB),
so each of its speed-up units trains start to finish inside one call. It
starts only when the record's throughput unit has measured that it ends in
the time the call has left (200 epochs of 50,000 images, validation
included, in the 8 minutes a call trains need about 24,000 images/s with
the projection's margin); until then `status` says what it waits for, a
call trains the next unit instead, and `pack` leaves its checkpoint
behind.

Commands (see also `.ci/gpu-record-call`, which a device call runs):

    python -m spectral.paper_record status
    python -m spectral.paper_record run --minutes 8    # the next units
    python -m spectral.paper_record pack --to DIR      # checkpoints to carry
    python -m spectral.paper_record unpack --from DIR

`run` refuses to train the record on a CPU (`--allow-cpu` for a dry run
outside the record) and from a checkout with uncommitted changes.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from spectral import jsonio
from spectral import paper
from spectral.record import bundle
from spectral.record import device_call
from spectral.record import runner
from spectral.record import store
from spectral.record.bundle import BundleError  # noqa: F401 (callers catch it here)

ROOT = store.ROOT
RECORD_DIR = ROOT / "results" / "paper"
STATE_DIR = ROOT / "state" / "paper" / "record"
EXIT_INCOMPLETE = store.EXIT_INCOMPLETE
GROUPS = ("throughput", "classification", "speedup", "search", "cifar100")
THROUGHPUT_PRECISIONS = ("float32", "mixed_bfloat16")
CLASSIFICATION_SEEDS = (0, 1, 2)
PAPER_EPOCHS = 150
SPEEDUP_EPOCHS = 200
SEARCH_TRIALS = 20
SEARCH_PROJECT = "section_5_1"
SEARCH_VALIDATION_FRACTION = 0.1
# The search needs keras-tuner: `RECORD_ONLY=1 bash .ci/gpu-wheels` carries
# it (the device machines have its other requirements).


def paper_unit(name, group, kind, config=None, **fields):
    """A unit of the paper-scale record: a `spectral.record.store.Unit`
    (the one unit type of every record) whose `experiment` is its group
    (one of `GROUPS`, the priority order) and whose `kind` is
    `"throughput"` (a measurement, arguments in `settings`), `"train"` or
    `"search"`; `fields` are the other `Unit` fields (`arm`, `case`,
    `role`, `settings`, `blocked`)."""
    return store.Unit(name, group, config=config, kind=kind, **fields)


def classification_config(dataset="cifar10", seed=0):
    """The §5.1 protocol at the paper's scale (see the module docstring)."""
    from spectral.config import section_5_1_config

    return section_5_1_config(
        dataset=dataset,
        epochs=PAPER_EPOCHS,
        lr_drops=paper.SECTION_5_1["lr_drops"],
        test_every_epoch=True,
        loop="device",
        seed=seed,
    )


def search_config():
    """The base of every search trial: the classification protocol (seed
    0), whose searched values each trial replaces."""
    return classification_config("cifar10", 0)


def speedup_base():
    """The speed-up protocol at the paper's scale (before case and seed)."""
    from spectral.config import TrainConfig

    return TrainConfig(
        dataset="cifar10",
        validation_size=5000,
        network="generic",
        width=1.0,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        lr_drops=(),
        epochs=SPEEDUP_EPOCHS,
        batch_size=128,
        augment=True,
        augmentation="paper",
        test_every_epoch=False,
        loop="device",
    )


def cifar100_available(data_dir=None):
    """Whether the official CIFAR-100 archive (or its folder) is present."""
    from spectral import data

    spec = data.CIFAR_ARCHIVES["cifar100"]
    directory = data.data_directory(data_dir)
    return (directory / spec["archive"]).is_file() or (
        directory / spec["folder"]
    ).is_dir()


def units(record_dir=None, data_dir=None):
    """Every unit of the paper-scale record, in priority order."""
    from spectral.record import laptop

    record_dir = Path(record_dir or RECORD_DIR)
    out = [
        paper_unit(
            f"throughput-{precision}",
            "throughput",
            "throughput",
            settings={
                "loop": "device",
                "precision": precision,
                "batch_size": 128,
                "images": 8192,
                "epochs": 2,
            },
        )
        for precision in THROUGHPUT_PRECISIONS
    ]
    out += [
        paper_unit(
            f"classification-cifar10-seed{seed}",
            "classification",
            "train",
            classification_config("cifar10", seed),
            arm="spectral",
        )
        for seed in CLASSIFICATION_SEEDS
    ]
    for unit in laptop._speedup_units(speedup_base(), record_dir):
        out.append(
            paper_unit(
                unit.name,
                "speedup",
                "train",
                unit.config,
                arm=unit.arm,
                case=unit.case,
                role=unit.role,
            )
        )
    out.append(
        paper_unit(
            "search",
            "search",
            "search",
            search_config(),
            settings={
                "trials": SEARCH_TRIALS,
                "validation_fraction": SEARCH_VALIDATION_FRACTION,
                "oracle_seed": 0,
            },
        )
    )
    missing = (
        None
        if cifar100_available(data_dir)
        else "the official CIFAR-100 archive is not in the data directory"
    )
    out += [
        paper_unit(
            f"classification-cifar100-seed{seed}",
            "cifar100",
            "train",
            classification_config("cifar100", seed),
            arm="spectral",
            blocked=missing,
        )
        for seed in CLASSIFICATION_SEEDS
    ]
    return out


def load_runs(record_dir=None):
    """`{name: result document}` of the record's finished units."""
    return store.load_runs(record_dir or RECORD_DIR)


def is_finished(unit, runs):
    """Whether `runs` (`load_runs`) holds a result for `unit` made with its
    current configuration (and, for a non-training unit, its settings)."""
    from spectral.experiments import same_config

    doc = runs.get(unit.name)
    if doc is None:
        return False
    if unit.kind == "train":
        return same_config(doc.get("config"), unit.config)
    if unit.kind == "search" and not same_config(
        doc.get("base_config"), unit.config
    ):
        return False
    return doc.get("settings") == unit.settings


def _throughput_rows(unit, runs):
    """The rows the record's throughput unit measured at `unit`'s
    precision (None before it ran)."""
    return (runs.get(f"throughput-{unit.config.precision}") or {}).get("rows")


def status(record_dir=None, data_dir=None, state_dir=None):
    """A table (list of dicts) of every unit: its state and cost.

    States: `finished`, `in progress` (epochs done so far), `pending`,
    `waits for lr selection`, `blocked` (with the reason). `one_call`:
    whether an unfinished unit must train start to finish inside one device
    call (`device_call.must_finish_in_one_call`; the note says what it
    waits for).
    """
    runs = load_runs(record_dir)
    state_dir = Path(state_dir or STATE_DIR)
    rows = []
    for unit in units(record_dir, data_dir):
        doc = runs.get(unit.name)
        row = {
            "unit": unit.name,
            "group": unit.experiment,
            "state": "pending",
            "minutes": None,
            "test_error": None,
            "note": "",
            "one_call": False,
        }
        if doc is not None and is_finished(unit, runs):
            row["state"] = "finished"
            row["minutes"] = doc.get("wall_seconds", 0.0) / 60
            row["test_error"] = doc.get("test_error")
        elif unit.blocked:
            row["state"], row["note"] = "blocked", unit.blocked
        elif unit.kind == "train" and unit.config is None:
            row["state"] = "waits for lr selection"
        elif unit.kind == "search":
            row.update(_search_progress(unit, state_dir))
        else:
            if unit.kind == "train" and device_call.must_finish_in_one_call(
                unit.config
            ):
                row["one_call"] = True
                rows_measured = _throughput_rows(unit, runs)
                problem = device_call.one_call_problem(
                    unit.config, rows_measured, 60 * device_call.CALL_TRAIN_MINUTES
                )
                if problem and rows_measured is not None:
                    row["state"] = "blocked"  # measured: longer than a call
                row["note"] = problem or "must finish inside one call"
            history = state_dir / unit.name / "history.json"
            if row["state"] == "pending" and history.is_file():
                try:
                    done = len(jsonio.read_json(history, "a run's history"))
                except jsonio.DamagedFileError as error:
                    row["state"] = "damaged"
                    row["note"] = str(error)
                else:
                    row["state"] = "in progress"
                    row["note"] = f"{done} of {unit.config.epochs} epochs"
        rows.append(row)
    return rows


def _search_progress(unit, state_dir):
    """The `state` and `note` of a search unit that has started."""
    path = Path(state_dir) / unit.name / SEARCH_PROJECT / "trials.json"
    if not path.is_file():
        return {}
    try:
        trials = jsonio.read_json(path, "the search's trials")["trials"]
    except (jsonio.DamagedFileError, KeyError, TypeError) as error:
        return {"state": "damaged", "note": f"{path}: {error}"}
    done = sum(t["status"] == "COMPLETED" for t in trials)
    note = f"{done} of {unit.settings['trials']} trials"
    running = [t for t in trials if t["status"] == "RUNNING"]
    if running and running[0]["epochs"]:
        note += (
            f"; trial {running[0]['trial_id']} at {running[0]['epochs']} of "
            f"{unit.config.epochs} epochs"
        )
    return {"state": "in progress", "note": note}


def _on_accelerator():
    import keras

    if keras.backend.backend() != "jax":
        return False
    import jax

    return jax.devices()[0].platform != "cpu"


def run_throughput(unit, record_dir=None, log=print):
    """Measures a throughput unit and writes its result file."""
    from spectral import bench
    from spectral import experiments
    start = time.time()
    settings = dict(unit.settings)
    rows = bench.training_throughput(
        loop=settings["loop"],
        precision=settings["precision"],
        batch_size=settings["batch_size"],
        images=settings["images"],
        epochs=settings["epochs"],
        log=log,
    )
    document = {
        "name": unit.name,
        "group": unit.experiment,
        "kind": unit.kind,
        "settings": unit.settings,
        "data": "synthetic images (timing only)",
        "rows": rows,
        "wall_seconds": time.time() - start,
        "provenance": experiments.provenance(),
    }
    store.write_run(record_dir or RECORD_DIR, unit.name, document)
    return document


def run_search(unit, record_dir=None, state_dir=None, budget=None, log=print):
    """Runs (or continues) the search unit for at most `budget` seconds.

    Returns True when every trial has finished (and the unit's result file
    is written), False when the budget stopped it (the next call continues
    the interrupted trial from its checkpoint under `state_dir`).
    """
    from spectral import experiments
    from spectral import search
    settings = unit.settings
    folder = Path(state_dir or STATE_DIR) / unit.name
    start = time.time()
    try:
        trials = search.search(
            unit.config,
            folder,
            max_trials=settings["trials"],
            project_name=SEARCH_PROJECT,
            validation_fraction=settings["validation_fraction"],
            seed=settings["oracle_seed"],
            time_budget=budget,
        )
    except experiments.IncompleteRunError as stop:
        log(f"{unit.name}: {stop}")
        return False
    document = {
        "name": unit.name,
        "group": unit.experiment,
        "kind": unit.kind,
        "settings": settings,
        "base_config": unit.config.to_dict(),
        "data": jsonio.read_json(
            folder / SEARCH_PROJECT / "trials.json", "the search's trials"
        )["data_source"],
        "trials": trials,
        "best": trials[0],
        "wall_seconds": sum(t["train_seconds"] or 0.0 for t in trials),
        "seconds_this_call": time.time() - start,
        "provenance": experiments.provenance(),
    }
    store.write_run(record_dir or RECORD_DIR, unit.name, document)
    return True


def run_pending(
    minutes=None,
    record_dir=None,
    state_dir=None,
    names=None,
    allow_cpu=False,
    data_dir=None,
    log=print,
):
    """Runs the next runnable units in priority order until out of time,
    with the loop every record uses (`spectral.record.runner.train_pending`).

    A training unit stops before an epoch that would end after the
    deadline and continues in the next call (from `state_dir`). Returns
    `(finished, pending)`: the names finished in this call and the number
    of units not finished.

    Raises:
        RuntimeError: without an accelerator, unless `allow_cpu`.
        ValueError: if `names` holds a name that is not a unit.
    """
    if not allow_cpu and not _on_accelerator():
        raise RuntimeError(
            "The paper-scale record trains on an accelerator (JAX backend); "
            "this process has none. Pass allow_cpu=True (--allow-cpu) for a "
            "dry run whose results do not belong in the record."
        )
    record_dir = Path(record_dir or RECORD_DIR)
    state_dir = Path(state_dir or STATE_DIR)
    if names is not None:
        unknown = sorted(set(names) - {u.name for u in units(record_dir)})
        if unknown:
            raise ValueError(
                f"units={unknown} are not units of the paper-scale record; "
                "`python -m spectral.paper_record status` lists them"
            )

    deadline = None if minutes is None else time.time() + 60 * minutes
    told = set()

    def pending_units():
        runs = load_runs(record_dir)
        out = []
        for unit in units(record_dir, data_dir):
            if is_finished(unit, runs):
                continue
            if unit.runnable and unit.kind == "train" and (
                device_call.must_finish_in_one_call(unit.config)
            ):
                left = None if deadline is None else deadline - time.time()
                problem = device_call.one_call_problem(
                    unit.config, _throughput_rows(unit, runs), left
                )
                if problem:
                    if unit.name not in told:
                        log(f"{unit.name}: not started: {problem}")
                        told.add(unit.name)
                    unit = dataclasses.replace(unit, blocked=problem)
            out.append(unit)
        return out

    def run_other(unit, budget):
        if unit.kind == "throughput":
            run_throughput(unit, record_dir, log)
            return True
        return run_search(unit, record_dir, state_dir, budget, log)

    return runner.train_pending(
        pending_units, minutes, record_dir, state_dir, names, log=log,
        run_other=run_other)


def pack(state_dir=None, out_dir=None, part_bytes=bundle.PART_BYTES):
    """`spectral.record.bundle.pack` of the paper-scale record's state
    (default `STATE_DIR`): the unfinished units' newest checkpoints, in
    checksummed parts, to carry out of a device call. A unit that must
    finish in one call (`device_call.must_finish_in_one_call`) leaves its
    checkpoint behind: it could not come back."""
    heavy = [
        u.name
        for u in units()
        if u.kind == "train"
        and u.config is not None
        and device_call.must_finish_in_one_call(u.config)
    ]
    return bundle.pack(state_dir or STATE_DIR, out_dir, part_bytes, exclude=heavy)


def unpack(parts_dir, state_dir=None):
    """`spectral.record.bundle.unpack` into the paper-scale record's state
    (default `STATE_DIR`); returns the number of parts read."""
    return bundle.unpack(parts_dir, state_dir or STATE_DIR)


def main(argv=None):
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.paper_record",
        description=__doc__.splitlines()[0],
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="list every unit and its state")
    run = commands.add_parser("run", help="train the next units")
    run.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="start no epoch expected to end after this long (exit status "
        "75 while units remain)",
    )
    run.add_argument("--units", nargs="+", default=None, metavar="NAME")
    run.add_argument("--record-dir", default=str(RECORD_DIR))
    run.add_argument("--state-dir", default=str(STATE_DIR))
    run.add_argument(
        "--allow-cpu",
        action="store_true",
        help="run without an accelerator (a dry run, never the record)",
    )
    run.add_argument(
        "--allow-dirty",
        action="store_true",
        help="run from uncommitted code (never the record)",
    )
    packer = commands.add_parser("pack", help="bundle checkpoints to carry")
    packer.add_argument("--to", required=True)
    packer.add_argument("--state-dir", default=str(STATE_DIR))
    unpacker = commands.add_parser("unpack", help="restore a bundle")
    unpacker.add_argument("--from", dest="source", required=True)
    unpacker.add_argument("--state-dir", default=str(STATE_DIR))
    args = parser.parse_args(argv)
    if args.command == "status":
        rows = status()
        for r in rows:
            extra = r["note"]
            if r["state"] == "finished":
                extra = f"{r['minutes']:.1f} min"
                if r["test_error"] is not None:
                    extra += f", test error {r['test_error']:.4f}"
            print(f"{r['state']:>22}  {r['unit']}  {extra}".rstrip())
        done = sum(r["state"] == "finished" for r in rows)
        print(f"{done} of {len(rows)} units finished")
        return 0
    if args.command == "pack":
        parts = pack(args.state_dir, args.to)
        size = sum(p.stat().st_size for p in parts)
        print(f"{len(parts)} parts, {size / 2**20:.1f} MiB in {args.to}")
        return 0
    if args.command == "unpack":
        try:
            count = unpack(args.source, args.state_dir)
        except (FileNotFoundError, BundleError) as error:
            print(error, file=sys.stderr)
            return 2
        print(f"restored {count} parts into {args.state_dir}")
        return 0
    from spectral.experiments import git_revision

    revision = git_revision() or ""
    if (not revision or revision.endswith("+dirty")) and not args.allow_dirty:
        print(
            "Record runs must come from a committed checkout: this one has "
            f"uncommitted changes or no known commit ({revision or 'none'}; "
            "on a machine without git, set SPECTRAL_GIT_REVISION to the "
            "commit the tree was copied from).",
            file=sys.stderr,
        )
        return 2
    try:
        finished, left = run_pending(
            args.minutes,
            args.record_dir,
            args.state_dir,
            args.units,
            args.allow_cpu,
            log=lambda m: print(m, flush=True),
        )
    except (RuntimeError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{len(finished)} units finished in this call; {left} not finished")
    return EXIT_INCOMPLETE if left else 0


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
