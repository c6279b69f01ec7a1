"""Verdicts of the robustness study (`spectral.robustness`), by `RULES`
(`spectral.robustness_rules`, re-exported here).

`claims_document(record_dir, chapter_results)` returns what
`results/laptop/claims.json` holds: `{"rule", "claims", "checks"}`. Each
claim has the paper's number, our estimate with its 95% interval and `n`,
a verdict on the *direction* (`DIRECTIONS`) and a separate statement on the
*size* (`SIZES`, or None where the paper gives no number), and every regime
in which it was tested, each with its own estimate and whether it is a
valid test (`valid`, with the `reason` when not). The verdict is the
primary regime's.
"""

import math

import numpy as np

from spectral import paper
from spectral import robustness as design
from spectral.record import laptop
from spectral.record import stats
from spectral.record import store
from spectral.record import summaries

from spectral.robustness_rules import (  # noqa: F401 (re-exported)
    BOOTSTRAP_RESAMPLES,
    DIRECTIONS,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    NOT_TESTED,
    REPRODUCED,
    RULES,
    SIZES,
    preregistration_document,
    write_preregistration,
)

PAPER_SPEEDUP = paper.SPEEDUP


# --------------------------------------------------------------------------
# Helpers


def _direction(ci, no_effect, valid=True):
    if not valid or ci is None:
        return NOT_TESTED
    low, high = ci
    if low > no_effect:
        return REPRODUCED
    if high < no_effect:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def _size(ci, paper):
    if ci is None or paper is None:
        return None
    if ci[1] < paper:
        return "smaller"
    if ci[0] > paper:
        return "larger"
    return "consistent"


def _check_finite(runs):
    """Refuses a record holding non-finite errors, naming the run."""
    for name, doc in runs.items():
        for key in ("test_error",):
            value = doc.get(key)
            if value is None or not math.isfinite(float(value)):
                raise ValueError(
                    f"Run {name} has test_error={value!r}: a verdict needs a "
                    "finite test error. Re-run or remove the run file."
                )


def _regime(regime, estimate, ci, n, valid, reason=None, **extra):
    return {
        "regime": regime,
        "estimate": estimate,
        "ci95": None if ci is None else [float(ci[0]), float(ci[1])],
        "n": n,
        "valid": bool(valid),
        "reason": reason,
        **extra,
    }


def _claim(claim_id, claim, paper_text, primary, no_effect, regimes, size=None, **extra):
    """A claim row: the primary regime's estimate, interval and n, the
    direction by `RULES` (against `no_effect`), the size statement, and
    every regime."""
    return {
        "id": claim_id,
        "claim": claim,
        "paper": paper_text,
        "estimate": primary["estimate"],
        "ci95": primary["ci95"],
        "n": primary["n"],
        "direction": _direction(primary["ci95"], no_effect, primary["valid"]),
        "size": size,
        "primary_regime": primary["regime"],
        **extra,
        "regimes": regimes,
    }


def _first_study_regime(first_study, reason):
    return _regime(
        "first study (one shared learning rate 0.0088)",
        first_study["mean"], first_study["ci95"], first_study["n"], False, reason)


def _paired(runs, names_a, names_b):
    """`b - a` test errors paired by seed: `(mean, ci, n, seeds)`."""
    diffs, seeds = [], []
    for seed in sorted(set(names_a) & set(names_b)):
        a, b = runs.get(names_a[seed]), runs.get(names_b[seed])
        if a is not None and b is not None:
            diffs.append(b["test_error"] - a["test_error"])
            seeds.append(seed)
    mean, ci = stats.t_interval(diffs)
    return (mean if diffs else None), ci, len(diffs), seeds


# --------------------------------------------------------------------------
# Classification and frequency dropout


def _tuned_names(runs, arm, seeds=None):
    chosen = design.tuned_selection(runs, arm)
    if chosen.rate is None:
        return chosen, {}
    seeds = design.TUNED_SEEDS[arm] if seeds is None else seeds
    return chosen, {s: design.tuned_name(arm, chosen.rate, s) for s in seeds}


def _regime_names(runs, arm):
    chosen = design.regime_selection(runs, arm)
    if chosen.rate is None:
        return chosen, {}
    return chosen, {
        s: design.regime_name(arm, chosen.rate, s) for s in design.REGIME_SEEDS
    }


def _better(runs, arms, selection):
    """The arm with the lower seed-0 validation error at its chosen rate."""
    scored = []
    for arm in arms:
        chosen = selection(runs, arm)
        if chosen.rate is not None:
            scored.append((chosen.scores[chosen.rate], arm))
    return min(scored)[1] if len(scored) == len(arms) else None


def overfitting(runs):
    """`{arm: {"train_error", "gap", "n"}}` of the regime's no-dropout arms
    (means over seeds at the chosen rate) and whether the condition holds."""
    out, holds = {}, True
    for arm in ("spectral-ortho", "max"):
        chosen, names = _regime_names(runs, arm)
        docs = [runs[n] for n in names.values() if n in runs]
        if len(docs) < len(design.REGIME_SEEDS) or chosen.at_edge:
            holds = False
        if not docs:
            out[arm] = {"train_error": None, "gap": None, "n": 0}
            holds = False
            continue
        train = float(np.mean([d["history"][-1]["train_eval_error"] for d in docs]))
        val = float(np.mean([d["history"][-1]["val_error"] for d in docs]))
        out[arm] = {"train_error": train, "gap": val - train, "n": len(docs)}
        holds &= train < design.OVERFIT_TRAIN_ERROR and val - train > design.OVERFIT_GAP
    return out, holds


def _budget_trend(runs, spatial_rate, spectral_rate):
    """Per-budget gaps (max minus spectral-ortho) and the slope trend."""
    per_seed = {}
    rows = []
    for epochs in design.BUDGET_EPOCHS:
        a = {s: design.budget_name("spectral-ortho", epochs, spectral_rate, s)
             for s in design.BUDGET_SEEDS}
        b = {s: design.budget_name("max", epochs, spatial_rate, s)
             for s in design.BUDGET_SEEDS}
        mean, ci, n, seeds = _paired(runs, a, b)
        rows.append((epochs, mean, ci, n))
        for s in seeds:
            per_seed.setdefault(s, {})[epochs] = (
                runs[b[s]]["test_error"] - runs[a[s]]["test_error"]
            )
    slopes = []
    for gaps in per_seed.values():
        if len(gaps) == len(design.BUDGET_EPOCHS):
            x = np.log2([float(e) for e in gaps])
            slopes.append(float(np.polyfit(x, list(gaps.values()), 1)[0]))
    slope, ci = stats.t_interval(slopes)
    if ci is None or len(slopes) < len(design.BUDGET_SEEDS):
        trend = "not tested"
    elif ci[0] > 0:
        trend = "in spectral pooling's favour"
    elif ci[1] < 0:
        trend = "against spectral pooling"
    else:
        trend = "no trend detected"
    return rows, {"slope": slope if slopes else None, "ci95": ci,
                  "n": len(slopes), "trend": trend}


def classification_claim(runs, first_study=None):
    regimes = []
    spectral = _better(runs, design.SPECTRAL_TUNED_ARMS, design.tuned_selection)
    spatial = _better(runs, design.SPATIAL_TUNED_ARMS, design.tuned_selection)
    primary = None
    for arm in design.SPECTRAL_TUNED_ARMS:
        if spatial is None:
            regimes.append(_regime(f"tuned, {arm}", None, None, 0, False,
                                   "learning-rate selection not finished"))
            continue
        cs, a = _tuned_names(runs, arm)
        cb, b = _tuned_names(runs, spatial)
        mean, ci, n, _ = _paired(runs, a, b)
        valid = n >= 5 and not (cs.at_edge or cb.at_edge)
        reason = None if valid else (
            "learning rate at the ladder's end" if cs.at_edge or cb.at_edge
            else f"{n} of 5 paired seeds finished")
        row = _regime(f"tuned, {arm} vs {spatial}", mean, ci, n, valid,
                      reason, learning_rates={arm: cs.rate, spatial: cb.rate})
        regimes.append(row)
        if arm == spectral:
            primary = row
    if primary is None:
        primary = _regime("tuned", None, None, 0, False,
                          "learning-rate selection not finished")
    # the converged regime
    _, holds = overfitting(runs)
    _, a = _regime_names(runs, "spectral-ortho")
    _, b = _regime_names(runs, "max")
    mean, ci, n, _ = _paired(runs, a, b)
    regimes.append(_regime(
        "converged (5,000 images, 40 epochs), spectral-ortho vs max",
        mean, ci, n, holds and n >= 3,
        None if holds and n >= 3 else "the regime did not over-fit, or runs missing"))
    # the budget trend
    rate_s = design.tuned_selection(runs, "spectral-ortho").rate
    rate_m = design.tuned_selection(runs, "max").rate
    trend = None
    if rate_s and rate_m:
        rows, trend = _budget_trend(runs, rate_m, rate_s)
        for epochs, mean, ci, n in rows:
            regimes.append(_regime(
                f"budget {epochs} epochs, spectral-ortho vs max", mean, ci, n,
                n >= 3, None if n >= 3 else f"{n} of 3 seeds finished"))
    if first_study is not None:
        regimes.append(_first_study_regime(
            first_study, "no arm's learning rate was tuned"))
    return _claim(
        "classification",
        "Spectral pooling classifies CIFAR-10 better than max or average "
        "pooling (§5.1; here in the same network, a comparison the paper did "
        "not run)",
        f"{paper.CIFAR10_ERROR:.1%} CIFAR-10 test error (paper scale); no "
        "same-network comparison",
        primary, 0.0, regimes,
        estimate_meaning="test error of the spatial arm minus the spectral "
        "arm's, paired by seed (positive: spectral pooling better)",
        budget_trend=trend,
    )


def frequency_dropout_claim(runs, first_study=None):
    regimes = []
    overfit, holds = overfitting(runs)
    base_choice, base = _regime_names(runs, "spectral-ortho")
    readings = {}
    for arm in ("spectral-ortho-dropout-pooled", "spectral-ortho-dropout-input"):
        chosen, names = _regime_names(runs, arm)
        docs = [runs[n] for n in names.values() if n in runs]
        mean, ci, n, _ = _paired(runs, names, base)
        val = (float(np.mean([d["history"][-1]["val_error"] for d in docs]))
               if len(docs) == len(design.REGIME_SEEDS) else None)
        valid = holds and n >= 3 and not chosen.at_edge
        readings[arm] = (val, _regime(
            f"converged, R over the {'pooled map' if arm.endswith('pooled') else 'map before pooling'}",
            mean, ci, n, valid,
            None if valid else "the regime did not over-fit, or runs missing",
            learning_rate=chosen.rate))
        regimes.append(readings[arm][1])
    vals = [(v, arm) for arm, (v, _) in readings.items() if v is not None]
    primary = (readings[min(vals)[1]][1] if len(vals) == 2
               else _regime("converged", None, None, 0, False, "runs missing"))
    _, with_ = _tuned_names(runs, "spectral-mean-dropout")
    _, without = _tuned_names(runs, "spectral-mean", design.TUNED_SEEDS["spectral-mean-dropout"])
    mean, ci, n, _ = _paired(runs, with_, without)
    regimes.append(_regime("tuned (12 epochs, 45,000 images), spectral-mean",
                           mean, ci, n, False,
                           "this regime was not shown to over-fit"))
    if first_study is not None:
        regimes.append(_first_study_regime(
            first_study, "under-fitting regime, no arm's learning rate tuned"))
    return _claim(
        "frequency-dropout",
        "Frequency dropout lowers the test error (§3.2)",
        "used in the paper's best configuration; no ablation reported",
        primary, 0.0, regimes,
        overfitting=overfit,
        estimate_meaning="test error without minus with frequency dropout, "
        "paired by seed (positive: dropout helps)",
    )


# --------------------------------------------------------------------------
# Speed-up and sparsity


def plateau_epoch(losses, window=design.PLATEAU_WINDOW,
                  tolerance=design.PLATEAU_TOLERANCE):
    """First epoch (1-based) at which `losses` has plateaued, or None.

    Example:

    >>> plateau_epoch([5, 4, 3, 2, 1, 1, 1, 1], window=3)
    8
    """
    for e in range(window + 1, len(losses) + 1):
        recent = min(losses[e - window:e])
        before = min(losses[:e - window])
        if recent >= (1 - tolerance) * before:
            return e
    return None


def pair_speedup(spatial, spectral, key, cap=design.PLATEAU_EPOCHS):
    """S of one seed on `key` ("train_loss" or "val_error"); see RULES."""
    a = [row[key] for row in spatial["history"]]
    b = [row[key] for row in spectral["history"]]
    p = plateau_epoch([row["train_loss"] for row in spatial["history"]])
    target = min(a[: p or len(a)]) + 1e-12
    first_a = next(i for i, v in enumerate(a, 1) if v <= target)
    first_b = next((i for i, v in enumerate(b, 1)
                    if v is not None and v <= target), None)
    s = first_a / (cap + 1) if first_b is None else first_a / first_b
    return {"speedup": s, "plateau_epoch": p, "reached": first_b is not None}


def stratified_geomean(strata, seed=0):
    """Geometric mean over strata of the geometric mean within each, with
    a percentile bootstrap resampling within strata: `(value, ci)`."""
    logs = [np.log(np.asarray(v, float)) for v in strata if len(v)]
    if len(logs) < len(strata) or not logs:
        return None, None
    value = float(np.exp(np.mean([l.mean() for l in logs])))
    if min(len(l) for l in logs) < 2:
        return value, None
    rng = np.random.default_rng(seed)
    draws = np.mean([
        l[rng.integers(0, len(l), (BOOTSTRAP_RESAMPLES, len(l)))].mean(axis=1)
        for l in logs], axis=0)
    low, high = np.exp(np.percentile(draws, [2.5, 97.5]))
    return value, (float(low), float(high))


def _plateau_pairs(runs, case):
    out = {}
    rates = {c: design.plateau_selection(runs, case, c) for c in laptop.CONVS}
    if any(r.rate is None for r in rates.values()):
        return rates, out
    for seed in design.PLATEAU_SEEDS:
        docs = {c: runs.get(design.plateau_name(case, c, rates[c].rate, seed))
                for c in laptop.CONVS}
        if None not in docs.values():
            out[seed] = docs
    return rates, out


def speedup_claim(runs, network, first_study=None):
    label = {"generic": "Generic", "deep": "Deep",
             "spectral_pooling": "the §5.1 network"}[network]
    reported = [PAPER_SPEEDUP[(network, k)] for k in laptop.FILTER_SIZES]
    paper_value = float(np.exp(np.mean(np.log(reported))))
    regimes, primary = [], None
    for key, name in (("train_loss", "plateau, training loss"),
                      ("val_error", "plateau, validation error")):
        strata, valid, reasons, cases = [], True, [], {}
        for size in laptop.FILTER_SIZES:
            case = f"{network}-{size}x{size}"
            rates, pairs = _plateau_pairs(runs, case)
            values = [pair_speedup(d["spatial"], d["spectral"], key)
                      for d in pairs.values()]
            strata.append([v["speedup"] for v in values])
            plateaued = sum(v["plateau_epoch"] is not None for v in values)
            cases[case] = {"per_seed": [v["speedup"] for v in values],
                           "plateaued": plateaued,
                           "learning_rates": {c: r.rate for c, r in rates.items()}}
            if len(pairs) < len(design.PLATEAU_SEEDS):
                valid = False
                reasons.append(f"{case}: {len(pairs)} of 3 pairs finished")
            elif plateaued < 2:
                valid = False
                reasons.append(f"{case}: {plateaued} of 3 spatial runs plateaued")
            if any(r.at_edge for r in rates.values()):
                valid = False
                reasons.append(f"{case}: learning rate at the ladder's end")
        value, ci = stratified_geomean(strata)
        row = _regime(name, value, ci, sum(len(s) for s in strata), valid,
                      "; ".join(reasons) or None, cases=cases)
        regimes.append(row)
        primary = primary or row
    if first_study is not None:
        regimes.append(_regime("first study (25 epochs, validation error)",
                               first_study.get("median"), first_study.get("ci95"),
                               first_study.get("n", 0), False,
                               "cut off before the spatial runs plateaued"))
    return _claim(
        f"speedup-{network.replace('_', '-')}",
        f"Spectral parametrisation speeds up convergence of {label} with "
        "Adam (§5.2)",
        f"{reported[0]:g}× (3×3), {reported[1]:g}× (5×5)",
        primary, 1.0, regimes,
        size=_size(primary["ci95"], paper_value) if primary["valid"] else None,
        paper_value=paper_value,
        estimate_meaning="geometric mean over filter sizes and seeds of "
        "S = spatial epoch / spectral epoch to the spatial run's best "
        "training loss up to its plateau",
    )


def _weighted(parameters, field, basis):
    total = sum(e["filters"] for e in parameters.values())
    return sum(e[field][basis] * e["filters"] for e in parameters.values()
               if e[field] is not None) / total


def sparsity_claim(runs):
    diffs = {"weights": [], "momentum": [], "basis": []}
    for network, size, case in design.plateau_cases():
        _, pairs = _plateau_pairs(runs, case)
        for docs in pairs.values():
            a = docs["spatial"].get("parameters")
            b = docs["spectral"].get("parameters")
            if not a or not b:
                continue
            diffs["weights"].append(_weighted(b, "weights", "spectral")
                                    - _weighted(a, "weights", "spatial"))
            if all(e["momentum"] for e in list(a.values()) + list(b.values())):
                diffs["momentum"].append(_weighted(b, "momentum", "spectral")
                                         - _weighted(a, "momentum", "spatial"))
            diffs["basis"].append(_weighted(a, "weights", "spectral")
                                  - _weighted(a, "weights", "spatial"))
    regimes = []
    for key, name in (("weights", "trained kernels"),
                      ("momentum", "optimiser momentum"),
                      ("basis", "the basis alone (spatial runs' kernels)")):
        mean, ci = stats.t_interval(diffs[key])
        n = len(diffs[key])
        regimes.append(_regime(name, mean if n else None, ci, n,
                               n >= 6 and key != "basis",
                               None if n >= 6 and key != "basis" else
                               ("a control, not the claim" if key == "basis"
                                else f"{n} of at least 6 pairs")))
    return _claim(
        "filter-sparsity",
        "Spectrally parametrised filters are sparser, and fewer parameters "
        "carry momentum (§4, Fig. 3)",
        "histograms only (no number)",
        regimes[0], 0.0, regimes,
        estimate_meaning="Hoyer sparsity of the spectral run in spectral "
        "coordinates minus the spatial run's in spatial coordinates, paired",
    )


def any_output_size_claim(runs):
    docs = [d for name, d in runs.items()
            if d.get("experiment") in ("tuned", "pooling", "regime", "budget")
            and d["config"].get("pooling") == "spectral"]
    finite = [d for d in docs if d.get("test_error") is not None
              and math.isfinite(d["test_error"])]
    ok = bool(docs) and len(finite) == len(docs)
    return {
        "id": "any-output-size",
        "claim": "Spectral pooling can reduce a map to any output size "
        "(§3.1), so sizes can shrink gradually",
        "paper": "§5.1 network with γ = 0.85 (sizes 32, 27, 22, 18, ...)",
        "estimate": None, "ci95": None, "n": len(docs),
        "direction": REPRODUCED if ok else NOT_TESTED,
        "size": None,
        "primary_regime": "every spectral-pooling run of the record "
        "(32 → 22 → 15 → 10 → 7)",
        "regimes": [_regime("record runs", None, None, len(docs), ok,
                            None if ok else "no finished spectral run")],
    }


def classification_cifar100_claim():
    return {
        "id": "classification-cifar100",
        "claim": f"Spectral pooling gives {paper.CIFAR100_ERROR:.1%} "
        "CIFAR-100 test error (§5.1)",
        "paper": f"{paper.CIFAR100_ERROR:.1%} CIFAR-100 test error",
        "estimate": None, "ci95": None, "n": 0,
        "direction": NOT_TESTED, "size": None,
        "primary_regime": None,
        "regimes": [_regime("CIFAR-100", None, None, 0, False,
                            "no CIFAR-100 training images on these machines")],
    }


# --------------------------------------------------------------------------
# The claims document

_OLD_DIRECTION = {
    "reproduced": REPRODUCED,
    "partially reproduced": INCONCLUSIVE,
    "not reproduced": NOT_REPRODUCED,
    "not tested at this scale": NOT_TESTED,
}
CLAIM_IDS = (
    "information-preservation",
    "any-output-size",
    "classification",
    "classification-cifar100",
    "frequency-dropout",
    "speedup-generic",
    "speedup-deep",
    "speedup-spectral-pooling",
    "filter-sparsity",
)
CHECK_IDS = ("fft-convolution", "sgd-rotation-identity")


def _converted(row, new_id=None):
    """A row of `spectral.claims.claims` in this document's format."""
    direction = _OLD_DIRECTION[row["verdict"]]
    return {
        **{k: v for k, v in row.items() if k != "verdict"},
        "id": new_id or row["id"],
        "direction": direction,
        "size": None,
        "regimes": [_regime(row.get("scale") or "", row["estimate"],
                            row["ci95"], row["n"],
                            direction != NOT_TESTED)],
    }


def _first_study_speedups(runs):
    """The first study's 25-epoch S(100%) per network (median, CI, n)."""
    out = {}
    for case in summaries.speedup_summary(runs)["cases"]:
        if case["optimizer"] != "adam":
            continue
        entry = out.setdefault(case["network"], [])
        entry += case["speedup"]["1.0"]["per_seed"]
    return {
        network: dict(zip(("median", "ci95"), stats.median_interval(v)),
                      n=len(v))
        for network, v in out.items()
        if v
    }


def claims_document(record_dir=None, chapter_results=None):
    """`{"rule", "claims", "checks"}` from the record (see module doc)."""
    from spectral import claims as old

    record_dir = record_dir or store.RECORD_DIR
    runs = design.design_runs(record_dir)
    first = laptop.record_runs(record_dir)
    _check_finite(runs)
    _check_finite(first)
    old_rows = {r["id"]: r for r in old.claims(record_dir, chapter_results)}
    pooling = summaries.pooling_summary(first)["differences"]
    best = min(("max", "average"),
               key=lambda a: summaries.pooling_summary(first)["arms"][a]["mean"] or 1)
    speed_first = _first_study_speedups(first)
    all_runs = {**first, **runs}
    claims = [
        _converted(old_rows["information-preservation"]),
        any_output_size_claim(all_runs),
        classification_claim(runs, pooling.get(f"{best} - spectral-no-dropout")),
        classification_cifar100_claim(),
        frequency_dropout_claim(runs, pooling["spectral-no-dropout - spectral"]),
        *(speedup_claim(runs, n, speed_first.get(n))
          for n in design.PLATEAU_NETWORKS),
        sparsity_claim(runs),
    ]
    for claim in claims:
        claim["verdict"] = claim["direction"] + (
            f"; size {claim['size']}" if claim["size"] else "")
    checks = [
        _converted(old_rows["fft-convolution"]),
        _converted(old_rows["speedup-sgd-control"], "sgd-rotation-identity"),
    ]
    for check in checks:
        check["verdict"] = check["direction"]
    return {"rule": RULES, "claims": claims, "checks": checks}


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.robustness_analysis"))
