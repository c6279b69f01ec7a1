"""Tables of the verdicts for the book, from `claims.json`'s document.

Every function takes the document `spectral.robustness_analysis.
claims_document` returns (what `results/laptop/claims.json` holds) or the
record itself, and returns a pandas `Styler` or `DataFrame` that myst-nb
renders: numbers in the unit the text uses (percentage points for test-error
differences, × for speed-ups), intervals on one line, no index header row.
"""

import numpy as np

from spectral import robustness as design
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

    return pd.DataFrame(list(design.DEVIATIONS) or
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
    text = (
        f"{name}: direction {row['direction']}, estimate "
        f"{_ours(row)}, n = {row['n']} ({row.get('primary_regime')})"
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


def _images_cost(config, eval_weight=1 / 3):
    """Image passes of a run, evaluation counted at `eval_weight` of a
    training pass (validation every epoch, training subset if logged)."""
    train = config.train_size or (50000 - config.validation_size)
    evaluated = config.validation_size + config.train_eval_size
    return config.epochs * (train + eval_weight * evaluated)


def unit_seconds(unit, first_runs):
    """Projected wall seconds of a robustness unit from the first study's
    measured runs: seconds per image pass of the most similar first-study
    runs (same pooling arm; for the speed-up, same network, filter size and
    parametrisation) times the unit's image passes. The first study's max
    arm ran before the faster adaptive max pooling, so max units are
    over-estimated."""
    from spectral.robustness import plateau_config  # noqa: F401

    config = unit.config
    if unit.experiment == "plateau":
        network, size = config.network, config.filter_size
        same = [d for d in first_runs.values()
                if d.get("experiment") == "speedup"
                and d["config"]["network"] == network
                and d["config"]["filter_size"] == size
                and d["config"]["conv"] == config.conv]
        if not same:  # the §5.1 network: its pooling arm's rate
            same = [d for d in first_runs.values()
                    if d.get("arm") == "spectral-no-dropout"]
    else:
        arm = _FIRST_STUDY_ARM[unit.arm]
        same = [d for d in first_runs.values()
                if d.get("experiment") == "pooling" and d.get("arm") == arm]
    from spectral.config import TrainConfig

    rates = [d["wall_seconds"] / _images_cost(TrainConfig.from_dict(d["config"]))
             for d in same]
    return float(np.mean(rates)) * _images_cost(config)


def cost_frame(record_dir=None):
    """Hours of the whole laptop record: the first study measured, and the
    robustness study measured (finished units) plus projected (pending and
    waiting units, without ladder extensions; `unit_seconds`)."""
    import dataclasses

    import pandas as pd

    from spectral import study

    first = study.record_runs(record_dir)
    finished = design.design_runs(record_dir)
    rows = {
        "first study": {
            "units": len(first),
            "hours measured": sum(d["wall_seconds"] for d in first.values()) / 3600,
            "hours projected": 0.0,
        }
    }
    for unit in design.units(record_dir):
        row = rows.setdefault(
            f"robustness: {unit.experiment}",
            {"units": 0, "hours measured": 0.0, "hours projected": 0.0},
        )
        row["units"] += 1
        if unit.name in finished:
            if unit.name not in first:
                row["hours measured"] += finished[unit.name]["wall_seconds"] / 3600
            else:
                row["units"] -= 1  # reused: counted in the first study
            continue
        config = unit.config
        if config is None:  # waits for its rate: cost it at the seed-0 rung
            config = _waiting_config(unit)
        row["hours projected"] += unit_seconds(
            dataclasses.replace(unit, config=config), first) / 3600
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.loc["total"] = frame.sum()
    frame.index.name = "part"
    return frame


def _waiting_config(unit):
    seed = unit.seed
    rate = design.SGD_START[1]
    if unit.experiment == "tuned":
        return design.tuned_config(unit.arm, rate, seed)
    if unit.experiment == "regime":
        return design.regime_config(unit.arm, rate, seed)
    if unit.experiment == "budget":
        return design.tuned_config(unit.arm, rate, seed, int(unit.case[:-2]))
    network, size = unit.case.rsplit("-", 1)
    return design.plateau_config(network, int(size[0]), unit.arm,
                                 design.ADAM_START[1], seed)
