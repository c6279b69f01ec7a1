"""Command line: `python -m spectral.train RUN_DIR [--field value ...]`.

Every field of `spectral.experiments.TrainConfig` is an option
(`--learning-rate 0.01`, `--lr-drops 100 140`, `--augment` /
`--no-augment`). Running the same command again resumes the run from its
last checkpoint.

Exit status, the same for every command of the package (`spectral.train`,
`spectral.study run`, `spectral.reproduce`):

* 0 — finished;
* 75 — stopped early (`--max-epochs`, `--time-budget`), resumable: run the
  same command again;
* 2 — nothing was trained: invalid arguments or configuration, missing or
  corrupt data, a run directory of another configuration or in use by
  another process (the message says which and what to do);
* 1 — an unexpected error (with its traceback).

Example:

    python -m spectral.train runs/smoke --dataset synthetic --epochs 2 \\
        --train-size 256 --test-size 64 --num-blocks 3
"""

import argparse
import dataclasses
import sys

from spectral.config import TrainConfig

EXIT_INVALID = 2


def _option_type(field):
    default = field.default
    if isinstance(default, bool):
        return None
    if isinstance(default, (int, float)):
        return type(default)
    if field.name in ("train_size", "test_size"):
        return int
    return str


def parser():
    """The argument parser, one option per `TrainConfig` field."""
    result = argparse.ArgumentParser(
        prog="python -m spectral.train",
        description="Train (or resume) one spectral-cnn run.",
    )
    result.add_argument("run_dir", help="directory of the run's files")
    result.add_argument("--config", help="JSON file of TrainConfig fields")
    result.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="stop after this many epochs in this call",
    )
    result.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="seconds after which no new epoch starts",
    )
    result.add_argument("--quiet", action="store_true", help="no progress bar")
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if isinstance(field.default, bool):
            result.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None
            )
        elif field.name == "lr_drops":
            result.add_argument(flag, type=int, nargs="*", default=None)
        else:
            result.add_argument(flag, type=_option_type(field), default=None)
    return result


def main(argv=None):
    """Parses `argv`, trains, prints a summary; returns the exit status."""
    import json

    args = parser().parse_args(argv)
    from spectral import experiments

    values = {}
    try:
        if args.config:
            try:
                with open(args.config) as handle:
                    values.update(json.load(handle))
            except (OSError, json.JSONDecodeError) as error:
                raise ValueError(
                    f"Could not read the --config file {args.config}: {error}"
                ) from error
        for field in dataclasses.fields(experiments.TrainConfig):
            value = getattr(args, field.name)
            if value is not None:
                values[field.name] = value
        config = experiments.TrainConfig.from_dict(values)
        result = experiments.train(
            config,
            args.run_dir,
            max_epochs=args.max_epochs,
            time_budget=args.time_budget,
            verbose=0 if args.quiet else "auto",
        )
    except (
        ValueError,
        TypeError,
        FileNotFoundError,
        PermissionError,
        experiments.RunLockedError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    state = "complete" if result.complete else "interrupted (resumable)"
    print(
        f"{len(result.history)}/{config.epochs} epochs, {state}; "
        f"test error {result.test_error}; data: {result.data_source}"
    )
    return 0 if result.complete else experiments.EXIT_INCOMPLETE


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
