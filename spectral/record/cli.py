"""The laptop record's command lines: `python -m spectral.study
status|run|summarize` (the first study, `main`), `python -m
spectral.robustness status|run|preregister` (`robustness_main`) and
`python -m spectral.claims` (`claims_main`: every verdict, one line each)."""

import argparse
import sys

from pathlib import Path

from spectral import robustness, robustness_analysis
from spectral.record.files import summarize
from spectral.record.laptop import EXPERIMENTS, pending, status
from spectral.record.runner import print_status, run_pending
from spectral.record.store import CHAPTER_RESULTS, EXIT_INCOMPLETE, RECORD_DIR, STATE_DIR


def main(argv=None):
    """`python -m spectral.study status|run`."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.study",
        description="The laptop-scale study: status and runs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="finished and pending units")
    sub.add_parser(
        "summarize",
        help="write pooling.json, speedup.json, modern.json, claims.json "
        "and record.json from the finished units",
    )
    run = sub.add_parser("run", help="train the next pending units")
    run.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="start no epoch expected to end after this long "
        "(exit status 75 while units remain)",
    )
    run.add_argument(
        "--experiments",
        nargs="*",
        default=list(EXPERIMENTS),
        choices=EXPERIMENTS,
    )
    run.add_argument(
        "--limit", type=int, default=None, help="at most this many units"
    )
    run.add_argument(
        "--units",
        nargs="+",
        default=None,
        metavar="NAME",
        help="train only these pending units (names as `status` lists them)",
    )
    run.add_argument("--record-dir", default=str(RECORD_DIR))
    run.add_argument("--state-dir", default=str(STATE_DIR))
    run.add_argument(
        "--allow-dirty",
        action="store_true",
        help="run from a checkout with uncommitted changes "
        "(never for the record)",
    )
    args = parser.parse_args(argv)
    if args.command == "status":
        print_status(status())
        return 0
    if args.command == "summarize":
        written = summarize()
        for row in written["claims"]["claims"] + written["claims"]["checks"]:
            print(f"{row['id']:>26}: {row['verdict']}")
        return 0
    from spectral.experiments import git_revision

    revision = git_revision() or ""
    if revision.endswith("+dirty") and not args.allow_dirty:
        print(
            "The checkout has uncommitted changes; record runs must come "
            "from a committed state (or pass --allow-dirty for a run "
            "outside the record).",
            file=sys.stderr,
        )
        return 2
    for name in ("minutes", "limit"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            print(
                f"--{name} must be positive (nothing would be trained). "
                f"Received: {value}",
                file=sys.stderr,
            )
            return 2
    from spectral.experiments import RunLockedError

    try:
        finished, remaining = run_pending(
            args.minutes,
            args.record_dir,
            args.state_dir,
            args.experiments,
            args.limit,
            log=lambda m: print(m, flush=True),
            names=args.units,
        )
    except RunLockedError as error:
        print(
            f"{error}\nAnother `study run` is training that unit; wait for "
            "it, or pass --units with other units.",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    # 75 only when running again can make progress: a runnable unit of the
    # call's selection is still pending.
    runnable = [
        u
        for u in pending(args.record_dir, args.experiments)
        if u.config is not None and (args.units is None or u.name in args.units)
    ]
    print(
        f"{len(finished)} units finished in this call; {remaining} pending"
        + ("" if runnable or not args.units else "; the chosen units are done")
    )
    return EXIT_INCOMPLETE if runnable else 0


def robustness_main(argv=None):
    """`python -m spectral.robustness status|run|preregister|throughput`."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.robustness",
        description="The robustness study: status, runs, preregistration, "
        "and the measured cost of re-executing the laptop record.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="finished and pending units")
    sub.add_parser(
        "preregister",
        help="write results/laptop/preregistration.json naming HEAD "
        "(clean checkout only; once)",
    )
    measure = sub.add_parser(
        "throughput",
        help="measure the training and inference throughput of every kind "
        "of unit of the laptop record and write results/laptop/"
        "throughput.json (clean checkout; run it on an idle machine)",
    )
    measure.add_argument("--images", type=int, default=2048)
    measure.add_argument("--repeats", type=int, default=3)
    run = sub.add_parser("run", help="train the next pending units")
    run.add_argument("--minutes", type=float, default=None)
    run.add_argument("--units", nargs="+", default=None, metavar="NAME")
    run.add_argument("--experiments", nargs="+", default=list(robustness.EXPERIMENTS),
                     choices=robustness.EXPERIMENTS)
    run.add_argument("--record-dir", default=str(RECORD_DIR))
    run.add_argument("--state-dir", default=str(STATE_DIR))
    args = parser.parse_args(argv)
    if args.command == "status":
        print_status(
            robustness.status(), " (more units may follow from the learning-rate rules)"
        )
        return 0
    from spectral.experiments import git_revision

    revision = git_revision() or ""
    if not revision or revision.endswith("+dirty"):
        print("The checkout has uncommitted changes (or is not a git "
              "checkout); record runs and the preregistration must come "
              "from a committed state.", file=sys.stderr)
        return 2
    if args.command == "preregister":
        try:
            robustness_analysis.write_preregistration(commit=revision)
        except FileExistsError as error:
            print(error, file=sys.stderr)
            return 2
        print(f"preregistration written for commit {revision}")
        return 0
    if args.command == "throughput":
        from spectral.record import cost

        try:
            document = cost.measure_record(
                images=args.images, repeats=args.repeats,
                log=lambda m: print(m, flush=True))
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        print(f"{len(document['kinds'])} kinds measured in "
              f"{document['provenance']['wall_seconds'] / 60:.1f} min; "
              f"wrote {cost.THROUGHPUT_FILE}")
        return 0
    if args.minutes is not None and args.minutes <= 0:
        print(f"--minutes must be positive. Received: {args.minutes}",
              file=sys.stderr)
        return 2
    if args.units:
        known = {u.name for u in robustness.units(args.record_dir, args.experiments)}
        unknown = sorted(set(args.units) - known)
        if unknown:
            print(f"Not units of the design now: {unknown}; "
                  "`python -m spectral.robustness status` lists them.",
                  file=sys.stderr)
            return 2
    from spectral.experiments import RunLockedError

    try:
        finished, remaining = robustness.run_pending(
            args.minutes, args.record_dir, args.state_dir, args.units,
            args.experiments, log=lambda m: print(m, flush=True))
    except RunLockedError as error:
        print(f"Another process is training this unit: {error}",
              file=sys.stderr)
        return 2
    runnable = [u for u in robustness.pending(args.record_dir, args.experiments)
                if u.config and (args.units is None or u.name in args.units)]
    print(f"{len(finished)} units finished in this call; {remaining} pending")
    return EXIT_INCOMPLETE if runnable else 0


def claims_main(argv=None):
    """`python -m spectral.claims`: the verdicts of a record, one per line."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.claims",
        description="Print the verdict of every claim and check computed from "
        "the record (what claims.json holds; nothing is written).",
    )
    parser.add_argument("--record-dir", default=str(RECORD_DIR))
    parser.add_argument("--chapter-results", default=str(CHAPTER_RESULTS))
    args = parser.parse_args(argv)
    record = Path(args.record_dir)
    if not (record / "runs").is_dir():
        print(
            f"{record} holds no runs/ folder: not a record directory "
            "(the laptop record is results/laptop).",
            file=sys.stderr,
        )
        return 2
    try:
        document = robustness_analysis.claims_document(
            record, args.chapter_results
        )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    for row in document["claims"] + document["checks"]:
        print(f"{row['id']:>26}: {row['verdict']}")
    return 0


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
