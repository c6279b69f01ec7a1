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
only the remaining ones run.

Scale-out uses keras-tuner's own distributed mode: start the same search on
several machines with `KERASTUNER_TUNER_ID` (`chief` on one, `tuner0`,
`tuner1`, ... on the others), `KERASTUNER_ORACLE_IP` and
`KERASTUNER_ORACLE_PORT` set; the chief runs the Bayesian oracle and the
workers train trials.
"""

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from spectral import data as data_lib
from spectral import experiments

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


def _hypermodel(base_config, dataset, verbose):
    import keras_tuner

    class SpectralPoolingHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            define_space(hp)
            config = trial_config(base_config, hp.values)
            return experiments.build_training_model(config, dataset)

        def fit(self, hp, model, *args, **kwargs):
            config = trial_config(base_config, hp.values)
            test = data_lib.ArrayBatches(
                dataset.x_test, dataset.y_test, config.batch_size
            )
            errors = []
            for epoch in range(config.epochs):
                experiments.fit_epoch(model, dataset, config, epoch, verbose)
                _, accuracy = model.evaluate(test, verbose=0)
                errors.append(1.0 - float(accuracy))
            error = errors[-1]
            if not np.isfinite(error):
                error = 1.0
            return {"val_error": error}

    return SpectralPoolingHyperModel()


def search(
    base_config,
    directory,
    max_trials=20,
    project_name="section_5_1",
    validation_fraction=0.1,
    seed=0,
    dataset=None,
    verbose=0,
):
    """Runs (or resumes) the Bayesian search and returns `summarize(...)`.

    Args:
        base_config: `TrainConfig` giving the dataset, epochs, batch size,
            schedule and seed of every trial.
        directory: where keras-tuner keeps the trials.
        max_trials: total number of trials (finished ones count).
        project_name: sub-folder of `directory`.
        validation_fraction: share of the training set held out.
        seed: seeds the Bayesian oracle.
        dataset: optional preloaded `CifarData` matching `base_config`.
        verbose: passed to `model.fit`.

    Returns:
        The list of trial dicts, best first (see `summarize`).
    """
    import keras_tuner

    dataset = (
        dataset
        if dataset is not None
        else experiments.load_dataset(base_config)
    )
    split = validation_split(dataset, validation_fraction, base_config.seed)
    tuner = keras_tuner.BayesianOptimization(
        hypermodel=_hypermodel(base_config, split, verbose),
        objective=keras_tuner.Objective("val_error", direction="min"),
        max_trials=max_trials,
        seed=seed,
        directory=str(directory),
        project_name=project_name,
        overwrite=False,
    )
    tuner.search()
    return summarize(tuner, Path(directory) / project_name, dataset.source)


def summarize(tuner, folder, data_source):
    """Writes `folder/trials.json` and returns its trials, best first.

    Each trial dict has `trial_id`, `status`, `val_error`, the searched
    `values` and the derived `momentum`.
    """
    trials = []
    for trial in tuner.oracle.trials.values():
        values = dict(trial.hyperparameters.values)
        trials.append(
            {
                "trial_id": trial.trial_id,
                "status": str(trial.status),
                "val_error": trial.score,
                "values": values,
                "momentum": momentum_from_exponent(values["momentum_exponent"])
                if "momentum_exponent" in values
                else None,
            }
        )
    trials.sort(key=lambda t: (t["val_error"] is None, t["val_error"] or 0.0))
    Path(folder).mkdir(parents=True, exist_ok=True)
    payload = {
        "data_source": data_source,
        "backend": keras.backend.backend(),
        "trials": trials,
    }
    (Path(folder) / "trials.json").write_text(json.dumps(payload, indent=2))
    return trials
