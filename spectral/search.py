"""Bayesian hyper-parameter search over the paper's §5.1 space (keras-tuner).

The space (paper §5.1): map-size decay `gamma` in [0.25, 0.85], number of
blocks `M` in {1..15}, frequency-dropout constants `alpha`, `beta` in
[0, 0.8], weight decay in [1e-5, 1e-2] (log), momentum in
[1 - 0.1^0.5, 1 - 0.1^2] (searched as the exponent, so momenta near 1 are
resolved finely), initial learning rate in [1e-4, 0.1] (log).

Each trial trains `base_config` with the trial's values on the training set
minus a held-out validation split (the test set is never looked at) and
reports the final validation error. Trials are stored by keras-tuner in
`directory/project_name`; `summarize` writes them to `trials.json`. Running
`search` again with the same directory resumes: finished trials are kept and
only the remaining ones run. A trial itself resumes too: it trains through
`spectral.experiments.train` in `trial_<id>/run` (a checkpoint after every
epoch), so a search given a `time_budget` stops between epochs and the next
call continues the interrupted trial — with the same values — from its
newest checkpoint. That is what lets a search whose trials are longer than
one device call (the paper's: 150 epochs each) advance call by call.

Scale-out uses keras-tuner's own distributed mode: start the same search on
several machines with `KERASTUNER_TUNER_ID` (`chief` on one, `tuner0`,
`tuner1`, ... on the others), `KERASTUNER_ORACLE_IP` and
`KERASTUNER_ORACLE_PORT` set; the chief runs the Bayesian oracle and the
workers train trials.
"""

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np

from spectral import experiments
from spectral import jsonio

SPACE = {
    "gamma": (0.25, 0.85),
    "num_blocks": (1, 15),
    "alpha": (0.0, 0.8),
    "beta": (0.0, 0.8),
    "weight_decay": (1e-5, 1e-2),
    "momentum_exponent": (0.5, 2.0),
    "learning_rate": (1e-4, 0.1),
}


def momentum_from_exponent(exponent):
    """`1 - 0.1 ** exponent`: the paper's momentum range is [0.684, 0.99]."""
    return 1.0 - 0.1**exponent


def define_space(hp):
    """Declares the §5.1 search space on a `keras_tuner.HyperParameters`."""
    hp.Float("gamma", *SPACE["gamma"])
    hp.Int("num_blocks", *SPACE["num_blocks"])
    hp.Float("alpha", *SPACE["alpha"])
    hp.Float("beta", *SPACE["beta"])
    hp.Float("weight_decay", *SPACE["weight_decay"], sampling="log")
    hp.Float("momentum_exponent", *SPACE["momentum_exponent"])
    hp.Float("learning_rate", *SPACE["learning_rate"], sampling="log")
    return hp


def trial_config(base_config, values):
    """The `TrainConfig` of a trial: `base_config` with the trial's values."""
    return dataclasses.replace(
        base_config,
        gamma=float(values["gamma"]),
        num_blocks=int(values["num_blocks"]),
        alpha=float(values["alpha"]),
        beta=float(values["beta"]),
        weight_decay=float(values["weight_decay"]),
        momentum=momentum_from_exponent(float(values["momentum_exponent"])),
        learning_rate=float(values["learning_rate"]),
        optimizer="sgd",
    )


def validation_split(dataset, fraction, seed):
    """Splits the training set into train and validation parts (seeded).

    Returns a `CifarData` whose `x_test`/`y_test` are the validation images.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            "Invalid value for argument `validation_fraction`. Expected a "
            f"float in (0, 1). Received: validation_fraction={fraction!r}"
        )
    order = np.random.default_rng(seed).permutation(len(dataset.x_train))
    count = max(1, int(round(fraction * len(order))))
    held, kept = np.sort(order[:count]), np.sort(order[count:])
    return dataclasses.replace(
        dataset,
        x_train=dataset.x_train[kept],
        y_train=dataset.y_train[kept],
        x_test=dataset.x_train[held],
        y_test=dataset.y_train[held],
        y_train_coarse=None,
        y_test_coarse=None,
    )


class _Interrupted(Exception):
    """A trial stopped at the deadline (raised through keras-tuner)."""


def _tuner(base_config, dataset, deadline, verbose, **kwargs):
    """A `keras_tuner.BayesianOptimization` whose trials resume.

    Each trial trains through `spectral.experiments.train` in the run
    directory `<trial dir>/run`, so it keeps a checkpoint after every epoch.
    The tuner and its oracle are saved as a trial begins; a call stopped by
    the deadline leaves the trial in the oracle's ongoing trials, which
    keras-tuner hands out again (same trial id, same values) when the search
    is reloaded, and the trial continues from its newest checkpoint.
    """
    import keras_tuner

    class Interrupted(keras_tuner.errors.FatalError, _Interrupted):
        pass

    class SpectralPoolingSearch(keras_tuner.BayesianOptimization):
        def pre_create_trial(self):
            if deadline is not None and time.time() >= deadline:
                raise Interrupted("the deadline passed between trials")

        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            self.save()

        def run_trial(self, trial, *args, **kwargs):
            config = trial_config(base_config, trial.hyperparameters.values)
            budget = None if deadline is None else deadline - time.time()
            result = experiments.train(
                config,
                trial_run_dir(self.project_dir, trial.trial_id),
                time_budget=budget,
                verbose=verbose,
                dataset=dataset,
            )
            if not result.complete:
                raise Interrupted(
                    f"trial {trial.trial_id} stopped at the deadline after "
                    f"{len(result.history)} of {config.epochs} epochs"
                )
            error = result.history[-1]["test_error"]
            return {"val_error": error if np.isfinite(error) else 1.0}

    hyperparameters = define_space(keras_tuner.HyperParameters())
    return SpectralPoolingSearch(
        objective=keras_tuner.Objective("val_error", direction="min"),
        hyperparameters=hyperparameters,
        overwrite=False,
        **kwargs,
    )


def trial_run_dir(folder, trial_id):
    """The run directory (`spectral.experiments.train`) of one trial."""
    return Path(folder) / f"trial_{trial_id}" / "run"


def search(
    base_config,
    directory,
    max_trials=20,
    project_name="section_5_1",
    validation_fraction=0.1,
    seed=0,
    dataset=None,
    verbose=0,
    time_budget=None,
):
    """Runs (or resumes) the Bayesian search and returns `summarize(...)`.

    Args:
        base_config: `TrainConfig` giving the dataset, epochs, batch size,
            schedule, training loop and seed of every trial.
        directory: where keras-tuner keeps the trials (and each trial its
            run directory, `trial_<id>/run`, with checkpoints).
        max_trials: total number of trials (finished ones count).
        project_name: sub-folder of `directory`.
        validation_fraction: share of the training set held out.
        seed: seeds the Bayesian oracle.
        dataset: optional preloaded `CifarData` matching `base_config`.
        verbose: passed to `model.fit` (or the device loop).
        time_budget: seconds; a trial starts no epoch that is expected to
            end after the budget (see `spectral.experiments.train`). None
            for no limit.

    Returns:
        The list of trial dicts, best first (see `summarize`).

    Raises:
        spectral.experiments.IncompleteRunError: if the budget ran out
            before every trial finished. `trials.json` then lists the
            finished trials and the interrupted one (status `RUNNING`);
            calling `search` again with the same arguments continues the
            interrupted trial from its newest checkpoint.
    """
    deadline = None if time_budget is None else time.time() + time_budget
    dataset = (
        dataset
        if dataset is not None
        else experiments.load_dataset(base_config)
    )
    split = validation_split(dataset, validation_fraction, base_config.seed)
    tuner = _tuner(
        base_config,
        split,
        deadline,
        verbose,
        max_trials=max_trials,
        seed=seed,
        directory=str(directory),
        project_name=project_name,
    )
    folder = Path(directory) / project_name
    try:
        tuner.search()
    except _Interrupted as stop:
        trials = summarize(tuner, folder, dataset.source)
        done = sum(t["status"] == "COMPLETED" for t in trials)
        raise experiments.IncompleteRunError(
            f"The search stopped at the deadline ({stop}); {done} of "
            f"{max_trials} trials finished. Run it again with the same "
            f"directory ({folder}) to continue."
        ) from None
    return summarize(tuner, folder, dataset.source)


def summarize(tuner, folder, data_source):
    """Writes `folder/trials.json` and returns its trials, best first.

    Each trial dict has `trial_id`, `status`, `val_error`, the searched
    `values`, the derived `momentum`, and from the trial's run directory the
    `epochs` trained so far and their `train_seconds` (None for a trial
    without one).
    """
    trials = []
    for trial in tuner.oracle.trials.values():
        values = dict(trial.hyperparameters.values)
        history_path = trial_run_dir(folder, trial.trial_id) / "history.json"
        history = (
            jsonio.read_json(
                history_path,
                f"the history of search trial {trial.trial_id}",
                "Delete the trial's run folder to train the trial again.",
            )
            if history_path.is_file()
            else None
        )
        trials.append(
            {
                "trial_id": trial.trial_id,
                "status": str(trial.status),
                "val_error": trial.score,
                "values": values,
                "momentum": momentum_from_exponent(values["momentum_exponent"])
                if "momentum_exponent" in values
                else None,
                "epochs": None if history is None else len(history),
                "train_seconds": None
                if history is None
                else sum(row["seconds"] for row in history),
            }
        )
    trials.sort(key=lambda t: (t["val_error"] is None, t["val_error"] or 0.0))
    Path(folder).mkdir(parents=True, exist_ok=True)
    payload = {
        "data_source": data_source,
        "backend": keras.backend.backend(),
        "trials": trials,
    }
    jsonio.write_json(Path(folder) / "trials.json", payload)
    return trials


TABLE_COLUMNS = {
    "val_error": "validation error",
    "gamma": "γ",
    "num_blocks": "M",
    "alpha": "α",
    "beta": "β",
    "weight_decay": "weight decay",
    "momentum": "momentum",
    "learning_rate": "learning rate",
    "epochs": "epochs",
    "status": "status",
}


def trials_table(trials):
    """The trials (as `search` or `summarize` return them) as a
    `pandas.DataFrame` indexed by trial, best first, one column per searched
    value (momentum rather than its exponent) and the trial's epochs and
    status."""
    import pandas as pd

    rows = {}
    for trial in trials:
        row = {"val_error": trial["val_error"], **trial["values"]}
        row.update(
            momentum=trial["momentum"],
            epochs=trial.get("epochs"),
            status=trial["status"],
        )
        rows[trial["trial_id"]] = {k: row.get(k) for k in TABLE_COLUMNS}
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=list(TABLE_COLUMNS)
    ).rename(columns=TABLE_COLUMNS)
    frame.index.name = "trial"
    return frame



def trials_sentence(trials, num_classes=10, margin=0.05):
    """What the trials of a search show, in one sentence from their
    validation errors: the best, and whether every trial ended within
    `margin` of chance (1 - 1/num_classes), when the search cannot rank
    hyper-parameters at all.

    Example:

    >>> trials_sentence([{"val_error": 0.89}, {"val_error": 0.9}])
    '2 trials, best validation error 89.00%; every trial ended within 5 pp of chance (90%), so at this size the search cannot rank hyper-parameters.'
    """
    errors = [t["val_error"] for t in trials if t.get("val_error") is not None]
    if not errors:
        return f"{len(trials)} trials, none finished yet."
    chance = 1 - 1 / num_classes
    text = f"{len(trials)} trials, best validation error {min(errors):.2%}"
    if all(e >= chance - margin for e in errors):
        return (
            text + f"; every trial ended within {margin * 100:.0f} pp of "
            f"chance ({chance:.0%}), so at this size the search cannot rank "
            "hyper-parameters."
        )
    near = sum(e >= chance - margin for e in errors)
    return text + (
        f"; {near} of them ended within {margin * 100:.0f} pp of chance "
        f"({chance:.0%})." if near else "."
    )


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.search"))
