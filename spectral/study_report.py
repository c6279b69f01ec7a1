"""Tables, sentences and figures of the first laptop study for the book
(chapters 3, 4 and 6), from its run files and summaries."""

import numpy as np

from spectral import claims, paper
from spectral.record.laptop import (
    ADAM_LEARNING_RATES,
    CONVS,
    EXPERIMENTS,
    FILTER_SIZES,
    MODERN_ARMS,
    POOLING_ARMS,
    ROUNDTRIP,
    SEEDS,
    SGD_CONTROL,
    SPEEDUP_NETWORKS,
    THRESHOLDS,
    _base_configs,
    _train_images,
    record_runs,
    scale,
    speedup_name,
    units,
)
from spectral.record.summaries import (
    _speedup_pairs,
    loss_gaps,
    modern_summary,
    pooling_summary,
    speedup_summary,
)


def design_table():
    """The study's design, one row per experiment (`pandas.DataFrame`)."""
    import pandas as pd

    base = _base_configs()
    arms = {
        "pooling": ", ".join(POOLING_ARMS),
        "speedup": "spatial vs spectral parametrisation; "
        f"Adam (learning rate chosen from {list(ADAM_LEARNING_RATES)} on "
        "validation) and SGD",
        "modern": ", ".join(MODERN_ARMS) + " pooling",
    }
    networks = {
        "pooling": f"§5.1, M={base['pooling'].num_blocks}, "
        f"γ={base['pooling'].gamma:g}",
        "speedup": "Generic and Deep, 3×3 and 5×5",
        "modern": "3 × (conv–BN–ReLU ×2, pooling)",
    }
    rows = {}
    for name in EXPERIMENTS:
        config = base[name]
        rows[name] = {
            "network": networks[name],
            "width": config.width,
            "arms": arms[name],
            "seeds": len(SEEDS[name]),
            "training images": _train_images(config),
            "epochs": config.epochs,
            "learning-rate drops after epochs": ", ".join(
                str(e) for e in config.lr_drops
            )
            or "none",
            "optimiser": config.optimizer if name != "speedup" else "adam, sgd",
            "augmentation": config.augmentation if config.augment else "none",
            "units": sum(u.experiment == name for u in units()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "experiment"
    return table


def pooling_table(record_dir=None, experiment="pooling"):
    """Per-arm test errors of the pooling (or modern) comparison.

    A `pandas.DataFrame` indexed by arm: finished seeds `n`, mean test
    error, its 95% t interval, the per-seed errors and the mean minutes of
    a run; arms without runs show `n = 0` and no numbers.
    """
    rows = {}
    for arm, row in _comparison(record_dir, experiment)["arms"].items():
        rows[arm] = {
            "n": row["n"],
            "mean test error": row["mean"],
            **_interval_columns(row["ci95"]),
            "per seed": ", ".join(f"{e:.2%}" for e in row["test_error"]),
            "minutes per run": (
                float(np.mean(row["wall_seconds"])) / 60
                if row["wall_seconds"]
                else None
            ),
        }
    return _frame(rows, "arm")


def _comparison(record_dir, experiment):
    runs = record_runs(record_dir)
    if experiment == "pooling":
        return pooling_summary(runs)
    return modern_summary(runs)


def _interval_columns(ci):
    return {
        "95% CI low": None if ci is None else ci[0],
        "95% CI high": None if ci is None else ci[1],
    }


def _frame(rows, index_name):
    """A DataFrame with one row per key of `rows`."""
    import pandas as pd

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = index_name
    return table


def differences_table(record_dir=None, experiment="pooling"):
    """Paired differences of test error between arms (by seed), with the
    95% t interval; positive means the second-named arm is better."""
    rows = {}
    for name, row in _comparison(record_dir, experiment)["differences"].items():
        rows[name] = {
            "n": row["n"],
            "mean difference": row["mean"],
            **_interval_columns(row["ci95"]),
        }
    return _frame(rows, "difference")


def display_table(table):
    """A table of `pooling_table` or `differences_table`, styled for reading.

    Returns a pandas `Styler`: test errors and their interval bounds in
    percent, paired differences and their bounds in signed percentage
    points, minutes to one decimal, missing numbers as "—". The numbers
    themselves are unchanged (fractions in `table`).
    """
    if "mean difference" in table.columns:
        value_columns = ["mean difference", "95% CI low", "95% CI high"]

        def value(v):
            return f"{100 * v:+.2f} pp"

    elif "mean test error" in table.columns:
        value_columns = ["mean test error", "95% CI low", "95% CI high"]

        def value(v):
            return f"{v:.2%}"

    else:
        raise ValueError(
            "Invalid value for argument `table`: expected a table of "
            "`pooling_table` or `differences_table`. Received columns: "
            f"{list(table.columns)}"
        )
    formats = {c: value for c in value_columns if c in table.columns}
    if "minutes per run" in table.columns:
        formats["minutes per run"] = "{:.1f}"
    return table.style.format(formats, na_rep="—")


def comparison_sentence(record_dir=None, experiment="modern", arm="max"):
    """One sentence stating what the record shows for `arm` vs spectral.

    The paired difference (test error of `arm` minus spectral pooling's,
    by seed) with its 95% t interval and n, and what it means: with fewer
    seeds than the design asks for, no conclusion; otherwise whether the
    interval excludes zero, and on which side. For comparisons the paper
    makes no claim about (the modern network), so no verdict applies.

    Example: "Max pooling's test error minus spectral pooling's, paired by
    seed: +0.52 pp (95% CI [-0.31, +1.35] pp, n = 5 of 5 seeds); the
    interval includes zero: no difference is detected at this scale."
    """
    arms = POOLING_ARMS if experiment == "pooling" else MODERN_ARMS
    if arm not in arms or arm == "spectral":
        raise ValueError(
            f"Invalid value for argument `arm`. Expected one of "
            f"{[a for a in arms if a != 'spectral']}. Received: arm={arm!r}"
        )
    row = _comparison(record_dir, experiment)["differences"][
        f"{arm} - spectral"
    ]
    required = len(SEEDS[experiment])
    if not row["n"]:
        return (
            f"No seed of the {experiment} comparison has both arms finished "
            f"yet (0 of {required})."
        )
    label = arm.replace("-", " ").capitalize()
    text = (
        f"{label} pooling's test error minus spectral pooling's, paired by "
        f"seed: {100 * row['mean']:+.2f} pp"
    )
    ci = row["ci95"]
    text += (
        " ("
        if ci is None
        else (f" (95% CI [{100 * ci[0]:+.2f}, {100 * ci[1]:+.2f}] pp, ")
    )
    text += f"n = {row['n']} of {required} seeds)"
    if row["n"] < required or ci is None:
        return text + "; too few seeds for a conclusion yet."
    if ci[0] > 0:
        return (
            text + "; the interval excludes zero: spectral pooling has the "
            "lower test error in this network."
        )
    if ci[1] < 0:
        return (
            text + f"; the interval excludes zero: {arm} pooling has the "
            "lower test error in this network."
        )
    return (
        text + "; the interval includes zero: no difference is detected at "
        "this scale."
    )


def curves_figure(record_dir=None, experiment="pooling"):
    """Validation error per epoch of every finished unit of a comparison,
    one colour per arm (`spectral.plotting.COLOURS`), one line per seed.

    Returns a `matplotlib.figure.Figure` (linear axis: the errors span a
    narrow range).
    """
    from spectral import plotting

    arms = POOLING_ARMS if experiment == "pooling" else MODERN_ARMS
    runs = record_runs(record_dir)
    curves = []
    for arm in arms:
        docs = sorted(
            (d for d in runs.values() if d["experiment"] == experiment),
            key=lambda d: d["seed"],
        )
        for i, doc in enumerate(d for d in docs if d["arm"] == arm):
            curves.append(
                (
                    arm if i == 0 else None,
                    [row["val_error"] for row in doc["history"]],
                    {"color": plotting.COLOURS.get(arm, "k"), "lw": 1.5},
                )
            )
    return plotting.learning_curves(
        curves, ylabel="validation error", log=False
    )


# The paper's speed-ups of the networks this study trains.
PAPER_SPEEDUP = {
    key: value
    for key, value in paper.SPEEDUP.items()
    if key[0] in SPEEDUP_NETWORKS
}


def _speedup_text(entry):
    """`median [low, high]` of one S(tau), or "—" without finished pairs."""
    if entry["median"] is None:
        return "—"
    text = f"{entry['median']:.2f}"
    if entry["ci95"] is not None:
        text += f" [{entry['ci95'][0]:.2f}, {entry['ci95'][1]:.2f}]"
    if entry["not_reached"]:
        text += f" ({entry['not_reached']} not reached)"
    return text


def speedup_table(record_dir=None):
    """The speed-up experiment, one row per network, filter size and
    optimiser (`pandas.DataFrame`).

    Columns: the learning rates used (Adam: chosen on validation per
    parametrisation), finished seed pairs `n`, S(tau) for every threshold
    as "median [95% bootstrap interval]" (with the number of seeds whose
    spectral run never reached the target), the paper's speed-up, the mean
    best validation error of each parametrisation and the largest
    training-loss gap between paired runs.
    """
    summary = speedup_summary(record_runs(record_dir))
    rows = {}
    for case in summary["cases"]:
        key = (
            f"{case['network']} {case['filter_size']}×{case['filter_size']}",
            case["optimizer"],
        )
        rates = case["learning_rate"]
        row = {
            "learning rate": (
                f"{rates:g}"
                if not isinstance(rates, dict)
                else "being chosen"
                if None in rates.values() or not rates
                else ", ".join(
                    f"{conv} {rate:g}" for conv, rate in rates.items()
                )
            ),
            "n": len(case["seeds"]),
        }
        for tau in THRESHOLDS:
            row[f"S({tau:.0%})"] = _speedup_text(case["speedup"][str(tau)])
        row["paper"] = (
            PAPER_SPEEDUP[(case["network"], case["filter_size"])]
            if case["optimizer"] == "adam"
            else None
        )
        for conv in CONVS:
            values = case["best_val_error"][conv]
            row[f"best val. error, {conv}"] = (
                float(np.mean(values)) if values else None
            )
        row["max training-loss gap"] = case["max_train_loss_gap"]
        rows[key] = row
    import pandas as pd

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(
        table.index, names=["case", "optimiser"]
    )
    return table


def headline_numbers(record_dir=None):
    """Short texts for the landing page's headline table.

    `{"spectral": ..., "max": ...}`: the mean test error of those pooling
    arms with the number of seeds; `"deep-5x5"`: the median speed-up
    S(100%) of the Deep 5x5 case under Adam with its seeds. "pending"
    where the record has no run yet.
    """
    runs = record_runs(record_dir)
    arms = pooling_summary(runs)["arms"]
    out = {}
    for arm in ("spectral", "max"):
        row = arms[arm]
        out[arm] = (
            "pending"
            if not row["n"]
            else f"{row['mean']:.2%} (mean of {row['n']} seed"
            f"{'s' if row['n'] > 1 else ''})"
        )
    deep = next(
        case
        for case in speedup_summary(runs)["cases"]
        if case["network"] == "deep"
        and case["filter_size"] == 5
        and case["optimizer"] == "adam"
    )
    entry = deep["speedup"]["1.0"]
    out["deep-5x5"] = (
        "pending"
        if entry["median"] is None
        else f"{entry['median']:.2f} (median of {len(deep['seeds'])} seed"
        f"{'s' if len(deep['seeds']) > 1 else ''})"
    )
    return out


def speedup_figure(record_dir=None):
    """Validation curves of every finished speed-up pair under Adam and
    SGD, and their training-loss gaps (`plotting.speedup_record_figure`).
    """
    from spectral import plotting

    panels = {
        f"{n}-{k}x{k}": {"title": f"{n.capitalize()} {k}×{k}"}
        for n in SPEEDUP_NETWORKS
        for k in FILTER_SIZES
    }
    runs = record_runs(record_dir)
    for case, optimizer, seed, docs in _speedup_pairs(runs):
        pair = {}
        for conv, doc in docs.items():
            pair[conv] = [r["val_error"] for r in doc["history"]]
            pair[f"{conv}_loss"] = [r["train_loss"] for r in doc["history"]]
        twin = runs.get(speedup_name(case, ROUNDTRIP, optimizer, seed))
        if optimizer == "sgd" and twin is not None:
            pair["roundtrip_loss"] = [r["train_loss"] for r in twin["history"]]
        panels[case].setdefault(optimizer, []).append(pair)
    return plotting.speedup_record_figure(list(panels.values()), THRESHOLDS)


def budget(record_dir=None):
    """Measured and projected compute of the whole study, per experiment.

    A `pandas.DataFrame` with, per experiment: units finished and in
    total, hours measured so far (sum of the finished units' wall times on
    the machine that ran them) and the projected hours of a full
    re-execution. A pending unit is costed at the mean wall time of the
    finished units most like it (`_cost_keys`: same network, filter size
    and arm, else same network, else same arm, else the experiment); the
    projection is None while some network of the experiment has no
    finished unit. `total` sums them.
    """
    import pandas as pd

    finished = record_runs(record_dir)
    rows = {}
    for experiment in EXPERIMENTS:
        todo = [u for u in units(record_dir) if u.experiment == experiment]
        done = [u for u in todo if u.name in finished]
        seconds = [finished[u.name]["wall_seconds"] for u in done]
        projected = 0.0
        for unit in todo:
            if unit.name in finished:
                projected += finished[unit.name]["wall_seconds"]
                continue
            cost = _projected_seconds(unit, done, finished)
            if cost is None:
                projected = None
                break
            projected += cost
        rows[experiment] = {
            "units finished": len(done),
            "units": len(todo),
            "hours measured": sum(seconds) / 3600,
            "hours projected": None if projected is None else projected / 3600,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    known = table["hours projected"].notna().all()
    table.loc["total"] = [
        table["units finished"].sum(),
        table["units"].sum(),
        table["hours measured"].sum(),
        table["hours projected"].sum() if known else None,
    ]
    table.index.name = "experiment"
    return table


def _cost_keys(unit):
    """What a unit's cost depends on, most specific first."""
    network = unit.case.split("-")[0] if unit.case else unit.experiment
    size = unit.case.split("-")[1] if unit.case else ""
    return (
        (network, size, unit.arm),
        (network, size),
        (network,),
    )


def _projected_seconds(unit, done, finished):
    """Mean wall time of the finished units most like `unit`, or None when
    no finished unit shares its network."""
    for depth, key in enumerate(_cost_keys(unit)):
        same = [
            finished[u.name]["wall_seconds"]
            for u in done
            if _cost_keys(u)[depth] == key
        ]
        if same:
            return float(np.mean(same))
    return None


# The claims each chapter states from the first study, by experiment.
CHAPTER_CLAIMS = {
    "pooling": ("classification", "frequency-dropout"),
    "speedup": ("speedup-adam", "speedup-sgd-control"),
}


def chapter_glue(experiment, prefix, record_dir=None, chapter_results=None):
    """The values a chapter glues about one experiment of the first study,
    by glue name (`<prefix>-<what>`): each of its claims' sentence
    (`claims.summary_sentence`), the scale it ran at, its data sources,
    its finished and total units; for `"speedup"` also the Adam rates, the
    SGD control's settings, the noise-floor factor and the training-loss
    gaps (`loss_gaps`)."""
    if experiment not in CHAPTER_CLAIMS:
        raise ValueError(
            f"Invalid value for argument `experiment`. Expected one of "
            f"{tuple(CHAPTER_CLAIMS)}. Received: experiment={experiment!r}"
        )
    runs = [doc for doc in record_runs(record_dir).values()
            if doc["experiment"] == experiment]
    values = {
        f"{prefix}-{claim_id}": claims.summary_sentence(
            claims.claim_row(claim_id, record_dir, chapter_results))
        for claim_id in CHAPTER_CLAIMS[experiment]
    }
    values[f"{prefix}-scale"] = scale(experiment)
    values[f"{prefix}-laptop-data"] = (
        "; ".join(sorted({doc["data_source"] for doc in runs})) or "no run yet")
    values[f"{prefix}-units"] = len(runs)
    values[f"{prefix}-total"] = sum(u.experiment == experiment for u in units(record_dir))
    if experiment == "speedup":
        values[f"{prefix}-rates"] = ", ".join(f"{r:g}" for r in ADAM_LEARNING_RATES)
        values[f"{prefix}-sgd"] = (
            f"learning rate {SGD_CONTROL['learning_rate']:g}, momentum "
            f"{SGD_CONTROL['momentum']:g}, decoupled weight decay "
            f"{SGD_CONTROL['weight_decay']:g}")
        values[f"{prefix}-noise-factor"] = claims.NOISE_FLOOR_FACTOR
        for optimizer, gap in loss_gaps(record_dir).items():
            values[f"{prefix}-gap-{optimizer}"] = (
                "no finished pair yet" if not gap["pairs"] else
                f"{gap['first']:.1e} after the first epoch and {gap['last']:.1e} "
                f"after the last (medians over {gap['pairs']} pairs; largest "
                f"{gap['largest']:.1e})")
    return values



def overview_glue(record_dir=None):
    """The values chapter 6 glues about the first study's record, by glue
    name: finished and total units, the data sources and commits of the
    finished runs, the headline numbers (`headline-<key>`) and the pooling
    experiment's scale."""
    runs = record_runs(record_dir)
    values = {
        "laptop-units-finished": len(runs),
        "laptop-units-total": len(units(record_dir)),
        "laptop-data": "; ".join(sorted({d["data_source"] for d in runs.values()}))
        or "no run yet",
        "laptop-commits": ", ".join(sorted(
            {d["provenance"]["git_sha"][:7] for d in runs.values()})) or "none",
    }
    for key, text in headline_numbers(record_dir).items():
        values[f"headline-{key}"] = text
    values["headline-scale"] = scale("pooling")
    return values



if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.study_report"))
