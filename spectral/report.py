"""Tables of the verdicts for the book, from `claims.json`'s document.

Every function takes the document `spectral.robustness_analysis.
claims_document` returns (what `results/laptop/claims.json` holds) or the
record itself, and returns a pandas `Styler` or `DataFrame` that myst-nb
renders: numbers in the unit the text uses (percentage points for test-error
differences, × for speed-ups), intervals on one line, no index header row.
"""

import numpy as np

from spectral import robustness as design
from spectral import robustness_deviations
from spectral import robustness_analysis as analysis

SHORT_CLAIMS = {
    "information-preservation": "Spectral pooling keeps more of an image",
    "any-output-size": "Any output size",
    "classification": "Spectral pooling classifies better",
    "classification-cifar100": "CIFAR-100 classification",
    "frequency-dropout": "Frequency dropout lowers test error",
    "speedup-generic": "Speed-up, Generic network",
    "speedup-deep": "Speed-up, Deep network",
    "speedup-spectral-pooling": "Speed-up, §5.1 network",
    "filter-sparsity": "Spectral filters are sparser",
    "fft-convolution": "FFT convolution equals Conv2D",
    "sgd-rotation-identity": "Under SGD both parametrisations coincide",
}
NOWRAP = {"white-space": "nowrap"}


def format_value(claim_id, value):
    """`value` (an estimate or an interval bound) in the claim's unit."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if claim_id in ("classification", "frequency-dropout"):
        return f"{100 * value:+.2f} pp"
    if claim_id.startswith("speedup"):
        return f"{value:.2f}×"
    if claim_id == "sgd-rotation-identity":
        return f"R = {value:.2f}"
    if claim_id == "fft-convolution":
        return f"{value:.1e}"
    return f"{value:+.3f}"


def format_interval(claim_id, ci):
    if ci is None:
        return "—"
    low, high = (format_value(claim_id, v) for v in ci)
    return f"[{low}, {high}]"


def _ours(row):
    if row.get("estimate") is None:
        return "—" if not row.get("n") else f"{row['n']} runs"
    text = format_value(row["id"], row["estimate"])
    if row.get("ci95"):
        text += " " + format_interval(row["id"], row["ci95"])
    return text


def claims_frame(document, compact=False):
    """One row per claim: the paper's number beside ours, the direction and
    size verdicts, `n` and the primary regime (left out when `compact`)."""
    import pandas as pd

    rows = []
    for row in document["claims"]:
        entry = {
            "claim": SHORT_CLAIMS.get(row["id"], row["id"]),
            "paper": row.get("paper") or "—",
            "ours (95% CI)": _ours(row),
            "n": row.get("n") or 0,
            "direction": row["direction"],
            "size": row.get("size") or "—",
        }
        if not compact:
            entry["regime"] = row.get("primary_regime") or "—"
        rows.append(entry)
    return pd.DataFrame(rows)


def _style(frame, nowrap=()):
    styler = frame.style.hide(axis="index")
    if nowrap:
        styler = styler.set_properties(subset=list(nowrap), **NOWRAP)
    return styler


def claims_table(document, compact=False):
    """`claims_frame` styled: estimates and intervals kept on one line."""
    return _style(claims_frame(document, compact), ["ours (95% CI)"])


def regimes_frame(document, claim_id):
    """Every regime in which one claim was tested: estimate, interval, n,
    whether it is a valid test and why not."""
    import pandas as pd

    row = next(c for c in document["claims"] if c["id"] == claim_id)
    return pd.DataFrame(
        [
            {
                "regime": r["regime"],
                "estimate": format_value(claim_id, r["estimate"]),
                "95% CI": format_interval(claim_id, r["ci95"]),
                "n": r["n"],
                "valid test": "yes" if r["valid"] else "no",
                "why not": r.get("reason") or "",
            }
            for r in row["regimes"]
        ]
    )


def regimes_table(document, claim_id):
    return _style(regimes_frame(document, claim_id), ["estimate", "95% CI"])


def checks_table(document):
    """The implementation checks (not claims of the paper)."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "check": SHORT_CLAIMS.get(r["id"], r["id"]),
                "measured": format_value(r["id"], r.get("estimate")),
                "n": r.get("n") or 0,
                "result": r["direction"],
            }
            for r in document["checks"]
        ]
    )
    return _style(frame, ["measured"])


def preregistration_frame(preregistration):
    """The preregistration's commit, date and size, one row."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "commit": preregistration["commit"][:12],
                "date": preregistration["date"][:16].replace("T", " ") + " UTC",
                "units it can ask for": len(preregistration["units"]),
                "rules (characters)": len(preregistration["rules"]),
            }
        ]
    )


def deviations_frame():
    """Every change made after the preregistration, with its reason."""
    import pandas as pd

    return pd.DataFrame(list(robustness_deviations.DEVIATIONS) or
                        [{"date": "—", "change": "none", "reason": ""}])


def status_frame(record_dir=None):
    """Per experiment of the robustness study: units finished, runnable,
    waiting for a learning-rate choice, and the hours measured so far."""
    import pandas as pd

    rows = {}
    for row in design.status(record_dir):
        entry = rows.setdefault(
            row["experiment"],
            {"finished": 0, "runnable": 0, "waiting": 0, "hours measured": 0.0},
        )
        if row["state"] == "finished":
            entry["finished"] += 1
            entry["hours measured"] += (row["minutes"] or 0.0) / 60
        elif row["state"] == "pending":
            entry["runnable"] += 1
        else:
            entry["waiting"] += 1
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "experiment"
    return frame.reset_index()


def direction_sentence(row):
    """One sentence on a claim's direction and size, from its row only."""
    name = SHORT_CLAIMS.get(row["id"], row["id"])
    if row["direction"] == analysis.NOT_TESTED:
        reasons = [r.get("reason") for r in row["regimes"] if r.get("reason")]
        why = reasons[0] if reasons else "no valid regime in the record yet"
        return f"{name}: not tested yet ({why})."
    regime = row.get("primary_regime")
    text = (
        f"{name}: direction {row['direction']}, estimate "
        f"{_ours(row)}, n = {row['n']}" + (f" ({regime})" if regime else "")
    )
    if row.get("size"):
        text += f"; size {row['size']} with the paper's {row['paper']}"
    text += "."
    if row["direction"] == analysis.NOT_REPRODUCED:
        valid = [r["regime"] for r in row["regimes"] if r["valid"]]
        open_ = [
            f"{r['regime']} ({r['reason']})"
            for r in row["regimes"]
            if not r["valid"]
        ]
        text += (
            " Ruled out in the valid regimes ("
            + "; ".join(valid)
            + "): the paper's direction at this scale."
        )
        if open_:
            text += " Still open: " + "; ".join(open_) + "."
    return text


def speedup_case_sentence(case, label):
    """One sentence on a chapter execution's speed-up case (an entry of
    `speedup.json`'s `cases`): the mean over the seeds whose spectral run
    reached the spatial run's final error, how many did, and the paper's
    value; or that no seed reached it, so the speed-up is undefined.

    Example:

    >>> speedup_case_sentence({"mean_speedup": 2.5, "seeds_reaching_target": 1,
    ...     "per_seed": [{}, {}], "paper": 4.8}, "The Deep network")
    "The Deep network measured a speed-up of 2.50 here (1 of 2 seeds reached the spatial run's final error) against the paper's 4.8."
    """
    n = len(case["per_seed"])
    subject = label[0].upper() + label[1:]
    if case["mean_speedup"] is None:
        seeds = "its one seed" if n == 1 else f"any of {n} seeds"
        return (
            f"{subject}: the spectral run never reached the spatial run's "
            f"final error in {seeds} here, so its speed-up is undefined at "
            f"this size; the paper reports {case['paper']}."
        )
    seeds = (
        "one seed" if n == 1 else f"{case['seeds_reaching_target']} of {n} "
        "seeds reached the spatial run's final error"
    )
    return (
        f"{subject} measured a speed-up of {case['mean_speedup']:.2f} here "
        f"({seeds}) against the paper's {case['paper']}."
    )


def design_frame():
    """The robustness study's design, one row per experiment."""
    import pandas as pd

    ladder = ", ".join(f"{r:g}" for r in design.SGD_START)
    adam = ", ".join(f"{r:g}" for r in design.ADAM_START)
    rows = [
        {
            "experiment": "tuned",
            "network": "§5.1, width 0.5, M = 4, γ = 0.7",
            "data, epochs": "45,000 images, 12 epochs, SGD",
            "arms": ", ".join(design.TUNED_ARMS),
            "seeds": "5 (3 for spectral-mean-dropout)",
            "learning rates": f"own per arm, from {ladder} (+ rungs beyond an edge)",
        },
        {
            "experiment": "regime",
            "network": "same",
            "data, epochs": f"{design.REGIME_TRAIN_IMAGES:,} images, "
            f"{design.REGIME_EPOCHS} epochs, no augmentation",
            "arms": ", ".join(design.REGIME_ARMS),
            "seeds": str(len(design.REGIME_SEEDS)),
            "learning rates": f"own per arm, from {ladder}",
        },
        {
            "experiment": "budget",
            "network": "same",
            "data, epochs": "45,000 images, "
            + ", ".join(str(e) for e in design.BUDGET_EPOCHS) + " epochs",
            "arms": ", ".join(design.BUDGET_ARMS),
            "seeds": str(len(design.BUDGET_SEEDS)),
            "learning rates": "as chosen in tuned",
        },
        {
            "experiment": "plateau",
            "network": "Generic, Deep, §5.1; 3×3 and 5×5; width 0.25",
            "data, epochs": f"5,000 images, up to {design.PLATEAU_EPOCHS} "
            "epochs, Adam, paper augmentation",
            "arms": "spatial, spectral parametrisation",
            "seeds": str(len(design.PLATEAU_SEEDS)),
            "learning rates": f"own per arm, 25-epoch selection from {adam}",
        },
    ]
    return pd.DataFrame(rows)


_FIRST_STUDY_ARM = {
    "spectral-ortho": "spectral-no-dropout",
    "spectral-mean": "spectral-no-dropout",
    "spectral-mean-dropout": "spectral",
    "spectral-ortho-dropout-pooled": "spectral",
    "spectral-ortho-dropout-input": "spectral",
    "max": "max",
    "average": "average",
}


def _finished_runs(record_dir=None):
    """Every finished unit of the laptop record, both studies: `{name:
    document}`."""
    from spectral.record import laptop

    return {**design.design_runs(record_dir), **laptop.record_runs(record_dir)}


def cost_frame(record_dir=None, throughput=None):
    """Hours of the whole laptop record, one row per part (the first study,
    each robustness experiment) and a total: `units`, `hours measured`
    (the finished units' wall times, on whatever machine and load they
    met) and `hours to re-execute` (every unit of the part, finished or
    not, at the throughput measured for its kind on an idle machine,
    `spectral.record.cost`; NaN without a measurement). A unit waiting for
    its learning rate is costed at its ladder's middle rung; ladder
    extensions not yet needed are not counted."""
    import pandas as pd

    from spectral.record import cost

    if throughput is None:
        throughput = cost.load_throughput(record_dir)
    finished = _finished_runs(record_dir)
    rows = {}
    for part, unit, config in cost.record_configs(record_dir):
        row = rows.setdefault(part, {"units": 0, "hours measured": 0.0,
                                     "hours to re-execute": 0.0})
        row["units"] += 1
        if unit.name in finished:
            row["hours measured"] += finished[unit.name]["wall_seconds"] / 3600
        row["hours to re-execute"] += (
            cost.projected_seconds(config, throughput) / 3600
            if throughput is not None else float("nan"))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.loc["total"] = frame.sum(skipna=False)
    frame["units"] = frame["units"].astype(int)
    frame.index.name = "part"
    return frame


def cost_sentence(frame, throughput=None, record_dir=None):
    """What `cost_frame` says, in words: the projected hours of a
    re-execution against `cost.TARGET_HOURS`, the machine measured, and
    the projection beside the measured hours of the first study (whose
    units have all run)."""
    from spectral.record import cost

    if throughput is None:
        throughput = cost.load_throughput(record_dir)
    total = frame.loc["total", "hours to re-execute"]
    if throughput is None or not np.isfinite(total):
        return ("The throughput of the record's units has not been measured "
                "yet (`python -m spectral.robustness throughput`), so no "
                "re-execution time is projected.")
    verdict = "within" if total <= cost.TARGET_HOURS else "above"
    first = frame.loc["first study"]
    machine = throughput["provenance"]["device"]
    return (
        f"Re-executing the whole record would take about {total:.1f} hours "
        f"on an idle machine like the one measured ({machine}), {verdict} "
        f"the project's target of {cost.TARGET_HOURS} hours. As a check of "
        f"the projection: it gives {first['hours to re-execute']:.1f} hours "
        f"for the first study, whose {int(first['units'])} runs took "
        f"{first['hours measured']:.1f} hours as measured (on machines that "
        "at times ran other work beside them)." + _spread_sentence(throughput)
    )


def appendix_glue(record_dir=None):
    """`(values, cost)` for the appendix, about the whole laptop record
    (both studies): its units and how many have finished, their measured
    hours, the re-execution projected from the measured throughput (or why
    there is none), the longest run in minutes and the machines that ran
    them, by glue name; `cost` is `cost_frame(record_dir)`."""
    runs = _finished_runs(record_dir)
    cost = cost_frame(record_dir)
    projected = cost.loc["total", "hours to re-execute"]
    values = {
        "laptop-finished": len(runs),
        "laptop-units": int(cost.loc["total", "units"]),
        "laptop-hours": float(cost.loc["total", "hours measured"]),
        "laptop-projected": f"{projected:.1f} h" if np.isfinite(projected)
        else "not yet measured (`python -m spectral.robustness throughput`)",
        "laptop-longest": max((d["wall_seconds"] for d in runs.values()),
                              default=0) / 60,
        "laptop-devices": "; ".join(sorted(
            {d["provenance"]["device"] for d in runs.values()})) or "none",
    }
    return values, cost


def _spread_sentence(throughput):
    """How much the repeats of one measurement varied, when recorded."""
    spreads = [max(row["train_seconds"]) / min(row["train_seconds"])
               for row in throughput["kinds"] if row.get("train_seconds")]
    if not spreads:
        return ""
    return (
        f" The repeats of one kind's measurement took up to "
        f"{max(spreads):.1f}× as long as the fastest (each rate is the "
        f"fastest of {throughput.get('repeats', len(spreads))}): the "
        "machine's speed varies, so the projection is nearer a lower bound "
        "than a promise."
    )


# --------------------------------------------------------------------------
# Figures of the robustness study (each says so when its runs are missing)


def _chosen_runs(runs, experiment, arm):
    """The finished runs of an arm at its chosen rate, by seed."""
    if experiment == "tuned":
        _, names = analysis._tuned_names(runs, arm)
    else:
        _, names = analysis._regime_names(runs, arm)
    return {s: runs[n] for s, n in names.items() if n in runs}


def regime_figure(record_dir=None):
    """The regime diagnostics: per epoch, the inference-mode training error
    (dashed) and the validation error (solid) of every finished `regime`
    run at its arm's chosen rate, one colour per arm. Over-fitting shows as
    the two curves parting."""
    import matplotlib.pyplot as plt

    from spectral import plotting

    runs = design.design_runs(record_dir)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with plt.rc_context(plotting.STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        drawn = False
        for colour, arm in zip(colours, design.REGIME_ARMS):
            for i, doc in enumerate(_chosen_runs(runs, "regime", arm).values()):
                epochs = [r["epoch"] for r in doc["history"]]
                ax.plot(epochs, [r["val_error"] for r in doc["history"]],
                        color=colour, lw=1.2, label=arm if i == 0 else None)
                ax.plot(epochs, [r["train_eval_error"] for r in doc["history"]],
                        color=colour, lw=1.0, ls="--")
                drawn = True
        if drawn:
            ax.set_xlabel("epoch")
            ax.set_ylabel("error (solid: validation; dashed: training)")
            plotting._percent(ax)
            ax.legend(fontsize=9)
            plotting._style(ax, integer_x=True)
        else:
            plotting._no_data(ax)
            ax.set_xticks([])
    return fig


def budget_figure(record_dir=None):
    """The budget trend: max pooling's test error minus spectral pooling's
    (unitary), in percentage points, against the epochs of training, with
    95% t intervals over seeds (positive: spectral pooling better)."""
    import matplotlib.pyplot as plt

    from spectral import plotting

    runs = design.design_runs(record_dir)
    rate_s = design.tuned_selection(runs, "spectral-ortho").rate
    rate_m = design.tuned_selection(runs, "max").rate
    rows = []
    if rate_s and rate_m:
        rows, _ = analysis._budget_trend(runs, rate_m, rate_s)
    points = [(e, m, ci) for e, m, ci, n in rows if n]
    with plt.rc_context(plotting.STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        if points:
            epochs = [p[0] for p in points]
            means = [100 * p[1] for p in points]
            low = [100 * (p[1] - p[2][0]) if p[2] else 0 for p in points]
            high = [100 * (p[2][1] - p[1]) if p[2] else 0 for p in points]
            ax.errorbar(epochs, means, yerr=[low, high], fmt="o-",
                        color=plotting.COLOURS["spectral"], capsize=3)
            ax.axhline(0, color="k", lw=0.8, ls="--")
            ax.set_xscale("log", base=2)
            ax.set_xticks(epochs, [str(e) for e in epochs])
            ax.set_xlabel("epochs of training")
            ax.set_ylabel("max − spectral test error (pp)")
            plotting._style(ax)
        else:
            plotting._no_data(ax)
            ax.set_xticks([])
    return fig


def plateau_figure(record_dir=None):
    """The speed-up to a plateau on the paper's quantity: training loss per
    epoch (log axis) of every finished spatial (solid) and spectral
    (dashed) pair, one panel per network and filter size."""
    import matplotlib.pyplot as plt

    from spectral import plotting

    runs = design.design_runs(record_dir)
    cases = design.plateau_cases()
    with plt.rc_context(plotting.STYLE):
        fig, axes = plt.subplots(3, 2, figsize=(7.2, 7.0), squeeze=False)
        for ax, (network, size, case) in zip(axes.flat, cases):
            _, pairs = analysis._plateau_pairs(runs, case)
            for i, docs in enumerate(pairs.values()):
                for conv, ls in (("spatial", "-"), ("spectral", "--")):
                    loss = [r["train_loss"] for r in docs[conv]["history"]]
                    ax.plot(range(1, len(loss) + 1), loss, ls=ls,
                            color=plotting.COLOURS[conv], lw=1.1,
                            alpha=1.0 if i == 0 else 0.5,
                            label=conv if i == 0 else None)
            ax.set_title(f"{network.replace('_', ' ')} {size}×{size}")
            if pairs:
                ax.set_yscale("log")
                plotting._plain_log_ticks(ax)
                plotting._style(ax, integer_x=True)
            else:
                plotting._no_data(ax)
                ax.set_xticks([])
        for ax in axes[-1]:
            ax.set_xlabel("epoch")
        for ax in axes[:, 0]:
            ax.set_ylabel("training loss")
        handles = [a for a in axes.flat if a.get_legend_handles_labels()[0]]
        if handles:
            handles[0].legend(fontsize=9)
    return fig


def sparsity_figure(record_dir=None):
    """Filter sparsity: for every finished plateau pair, the spectral run's
    Hoyer sparsity in spectral coordinates against the spatial run's in
    spatial coordinates (points above the diagonal: spectral sparser), for
    the kernels and for the optimiser's momentum."""
    import matplotlib.pyplot as plt

    from spectral import plotting

    runs = design.design_runs(record_dir)
    points = {"weights": [], "momentum": []}
    for _, _, case in design.plateau_cases():
        _, pairs = analysis._plateau_pairs(runs, case)
        for docs in pairs.values():
            a, b = docs["spatial"].get("parameters"), docs["spectral"].get("parameters")
            if not a or not b:
                continue
            for field in points:
                if all(e[field] for e in list(a.values()) + list(b.values())):
                    points[field].append((
                        analysis._weighted(a, field, "spatial"),
                        analysis._weighted(b, field, "spectral")))
    with plt.rc_context(plotting.STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.6), squeeze=False)
        for ax, (field, pts) in zip(axes[0], points.items()):
            ax.set_title("trained kernels" if field == "weights" else "momentum")
            if not pts:
                plotting._no_data(ax)
                ax.set_xticks([])
                continue
            x, y = zip(*pts)
            ax.plot(x, y, "o", color=plotting.COLOURS["spectral"], ms=4)
            ax.plot([0, 1], [0, 1], color="k", lw=0.8, ls="--")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel("spatial run, spatial coordinates")
            ax.set_ylabel("spectral run, spectral coord.")
            plotting._style(ax)
    return fig


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.report"))
