"""Trains the laptop record's pending units, one after another, within a
time budget; resumes a unit from its checkpoints; writes a unit's run file
when it finishes (`spectral.record.store.write_run`)."""

import json
import time
from pathlib import Path

from spectral.record.laptop import EXPERIMENTS, pending, units
from spectral.record.store import RECORD_DIR, STATE_DIR, write_run


def _load_data(config, cache):
    """The data of a unit: fixed validation split and subset (seed 0)."""
    from spectral import experiments as exp

    key = (
        config.dataset,
        config.data_dir,
        config.train_size,
        config.validation_size,
        config.test_size,
    )
    if key not in cache:
        cache.clear()
        cache[key] = exp.load_dataset(config, subset_seed=0)
    return cache[key]


def run_unit(
    unit,
    record_dir=None,
    state_dir=None,
    time_budget=None,
    verbose=0,
    cache=None,
    dataset=None,
):
    """Trains (or resumes) one unit; writes its result file when finished.

    Returns the `Result`.
    """
    from spectral import experiments as exp

    if unit.config is None:
        raise ValueError(
            f"Unit {unit.name} waits for its learning-rate selection runs."
        )
    record_dir = Path(record_dir or RECORD_DIR)
    state_dir = Path(state_dir or STATE_DIR)
    data = (
        dataset
        if dataset is not None
        else _load_data(unit.config, {} if cache is None else cache)
    )
    result = exp.train(
        unit.config,
        state_dir / unit.name,
        time_budget=time_budget,
        verbose=verbose,
        dataset=data,
    )
    if result.complete:
        document = json.loads(result.to_json())
        document.update(
            name=unit.name,
            experiment=unit.experiment,
            arm=unit.arm,
            case=unit.case,
            role=unit.role,
            seed=unit.config.seed,
            wall_seconds=document["provenance"]["train_seconds_total"],
            train_images=len(data.x_train),
            validation_images=0 if data.x_val is None else len(data.x_val),
            test_images=len(data.x_test),
        )
        write_run(record_dir, unit.name, document)
    return result


def run_pending(
    minutes=None,
    record_dir=None,
    state_dir=None,
    experiments=EXPERIMENTS,
    limit=None,
    verbose=0,
    dataset=None,
    log=print,
    names=None,
):
    """Trains pending units in order until done, out of time or `limit`.

    `names`, if given, restricts the call to those units (still in the
    study's order); a name that is not a unit raises `ValueError`.
    Returns `(finished, remaining)`: names finished in this call and the
    number of units still pending (including ones waiting for a choice).
    """
    if names is not None:
        known = {u.name for u in units(record_dir, experiments)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(
                f"units={unknown} are not units of the experiments "
                f"{list(experiments)}; `python -m spectral.study status` "
                "lists every unit"
            )
    return train_pending(
        lambda: pending(record_dir, experiments), minutes, record_dir,
        state_dir, names, limit, verbose, dataset, log)


def train_pending(
    pending_units,
    minutes=None,
    record_dir=None,
    state_dir=None,
    names=None,
    limit=None,
    verbose=0,
    dataset=None,
    log=print,
    run_other=None,
):
    """The one loop of every record: runs the runnable units
    `pending_units()` lists (`Unit.runnable`; among `names` if given),
    first first, until none is left, the time is up (`minutes`; no epoch
    starts that would end later) or `limit` units finished.

    A training unit trains (`run_unit`); a unit of another kind (the
    paper-scale record's measurements and search) is handed to
    `run_other(unit, seconds_left)`, which returns whether it finished.

    Returns `(finished, remaining)`: the names finished in this call and
    how many units `pending_units()` still lists (waiting ones included).
    """
    deadline = None if minutes is None else time.time() + 60 * minutes
    cache, finished = {}, []
    while True:
        todo = [
            u
            for u in pending_units()
            if u.runnable and (names is None or u.name in names)
        ]
        if not todo or (limit is not None and len(finished) >= limit):
            break
        unit = todo[0]
        budget = None if deadline is None else deadline - time.time()
        if budget is not None and budget <= 0:
            break
        start = time.time()
        if unit.kind != "train":
            if run_other is None:
                raise ValueError(
                    f"Unit {unit.name} is a {unit.kind!r} unit: pass "
                    "`run_other` to run units that do not train."
                )
            log(f"{unit.name}: starting ({len(todo)} runnable units pending)")
            if not run_other(unit, budget):
                log(f"{unit.name}: stopped at the deadline; run again to resume")
                break
            log(f"{unit.name}: done in {time.time() - start:.0f} s")
            finished.append(unit.name)
            continue
        log(f"{unit.name}: training ({len(todo)} runnable units pending)")
        result = run_unit(
            unit, record_dir, state_dir, budget, verbose, cache, dataset
        )
        if not result.complete:
            log(
                f"{unit.name}: stopped at the deadline after "
                f"{len(result.history)} epochs; run again to resume"
            )
            break
        log(
            f"{unit.name}: done in {time.time() - start:.0f} s, test error "
            f"{result.test_error:.4f}"
        )
        finished.append(unit.name)
    return finished, len(pending_units())


def print_status(rows, note=""):
    """Prints `status()` rows (of this study or the robustness study), one
    line each, then the count of finished units and their hours."""
    done = [r for r in rows if r["state"] == "finished"]
    for r in rows:
        extra = ""
        if r["minutes"] is not None:
            extra = f"  {r['minutes']:.1f} min, test error {r['test_error']:.4f}"
        print(f"{r['state']:>22}  {r['unit']}{extra}")
    total = sum(r["minutes"] for r in done)
    print(
        f"{len(done)} of {len(rows)} units finished, "
        f"{total / 60:.2f} h of compute{note}"
    )


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.runner"))
