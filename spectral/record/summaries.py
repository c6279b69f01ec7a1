"""The first laptop study's statistics: the pooling and modern comparisons
(paired by seed, t intervals) and the speed-up experiment (S(tau) per pair,
bootstrap intervals of medians, training-loss gaps)."""

import numpy as np

from spectral.record.laptop import (CONVS, FILTER_SIZES, MODERN_ARMS, POOLING_ARMS, ROUNDTRIP, SEEDS, SGD_CONTROL, SPEEDUP_NETWORKS, THRESHOLDS, chosen_learning_rate, record_runs, speedup_name)
from spectral.record.stats import median_interval, t_interval
from spectral.record.store import best_validation_error


def _arm_comparison(runs, experiment, arms):
    """Per-arm test errors and paired differences (by seed) with CIs."""
    table = {}
    for arm in arms:
        per_seed = {
            doc["seed"]: doc["test_error"]
            for doc in runs.values()
            if doc["experiment"] == experiment and doc["arm"] == arm
        }
        mean, ci = t_interval(list(per_seed.values()))
        table[arm] = {
            "seeds": sorted(per_seed),
            "test_error": [per_seed[s] for s in sorted(per_seed)],
            "mean": mean if per_seed else None,
            "ci95": ci,
            "n": len(per_seed),
            "wall_seconds": [
                doc["wall_seconds"]
                for doc in runs.values()
                if doc["experiment"] == experiment and doc["arm"] == arm
            ],
        }
    differences = {}
    for i, a in enumerate(arms):
        for b in arms[i + 1 :]:
            common = sorted(set(table[a]["seeds"]) & set(table[b]["seeds"]))
            ea = dict(zip(table[a]["seeds"], table[a]["test_error"]))
            eb = dict(zip(table[b]["seeds"], table[b]["test_error"]))
            diff = [eb[s] - ea[s] for s in common]
            mean, ci = t_interval(diff)
            differences[f"{b} - {a}"] = {
                "seeds": common,
                "difference": diff,
                "mean": mean if diff else None,
                "ci95": ci,
                "n": len(diff),
            }
    return {"arms": table, "differences": differences}


def pooling_summary(runs):
    """The pooling ablation: `{"arms": ..., "differences": ...}`.

    `differences["max - spectral"]` is max pooling's test error minus
    spectral pooling's, paired by seed (same initial weights and batches);
    positive means spectral pooling is better.
    """
    return _arm_comparison(runs, "pooling", POOLING_ARMS)


def modern_summary(runs):
    """Spectral vs max pooling in the modern network (same statistics)."""
    return _arm_comparison(runs, "modern", MODERN_ARMS)


def threshold_speedups(spatial, spectral, thresholds=THRESHOLDS, chance=0.9):
    """Speed-ups S(tau) of one seed from two validation-error curves.

    The spatial run's achieved improvement is `chance - min(spatial)`; the
    target at `tau` is `chance - tau * improvement`. S(tau) is (first epoch
    at which the spatial run reaches the target) / (first epoch at which
    the spectral run does). A spectral run that never reaches a target
    gives `S = 0` and `reached = False` (it is counted, never dropped).

    Example:

    >>> s = threshold_speedups([0.8, 0.6, 0.5], [0.6, 0.5, 0.45], (1.0,))
    >>> s[1.0]
    {'speedup': 1.5, 'spatial_epoch': 3, 'spectral_epoch': 2, 'reached': True}
    """
    best = min(spatial)
    out = {}
    for tau in thresholds:
        target = chance - tau * (chance - best) + 1e-12
        first_spatial = next(i for i, e in enumerate(spatial, 1) if e <= target)
        first_spectral = next(
            (i for i, e in enumerate(spectral, 1) if e <= target), None
        )
        out[tau] = {
            "speedup": 0.0
            if first_spectral is None
            else first_spatial / first_spectral,
            "spatial_epoch": first_spatial,
            "spectral_epoch": first_spectral,
            "reached": first_spectral is not None,
        }
    return out


def _loss_gap_curve(a, b):
    """|training-loss difference| of two runs after each epoch."""
    return [
        abs(x["train_loss"] - y["train_loss"])
        for x, y in zip(a["history"], b["history"])
    ]


def _largest_loss_gap(a, b):
    """Largest |training-loss difference| of two runs over their epochs."""
    return max(_loss_gap_curve(a, b))


def _gap_ratio(gap, floor):
    """`gap / floor`; 1 when both are 0, infinite when only the floor is."""
    if floor > 0:
        return gap / floor
    return 1.0 if gap == 0 else float("inf")


def speedup_summary(runs):
    """The convergence study: `{"cases": [...]}`, one per network, size
    and optimiser, with per-seed S(tau), their median and bootstrap CI."""
    cases = []
    for network in SPEEDUP_NETWORKS:
        for size in FILTER_SIZES:
            for optimizer in ("adam", "sgd"):
                case = f"{network}-{size}x{size}-{optimizer}"
                rates = {}
                pairs = {}
                for conv in CONVS:
                    rate = None
                    if optimizer == "adam":
                        rate = rates[conv] = chosen_learning_rate(
                            runs, case, conv
                        )
                        if rate is None:
                            continue
                    for s in SEEDS["speedup"]:
                        name = speedup_name(
                            f"{network}-{size}x{size}", conv, optimizer, s, rate
                        )
                        if name in runs:
                            pairs.setdefault(s, {})[conv] = runs[name]
                seeds = sorted(s for s, p in pairs.items() if len(p) == 2)
                per_seed = {}
                loss_gap = []
                for s in seeds:
                    a, b = pairs[s]["spatial"], pairs[s]["spectral"]
                    va = [r["val_error"] for r in a["history"]]
                    vb = [r["val_error"] for r in b["history"]]
                    per_seed[s] = threshold_speedups(va, vb)
                    loss_gap.append(_largest_loss_gap(a, b))
                # SGD only: the gap that rounding alone opens (spatial run
                # vs the same run started from its spectral round trip),
                # and each seed's identity gap in units of it
                noise_floor = {}
                if optimizer == "sgd":
                    for s in seeds:
                        name = speedup_name(
                            f"{network}-{size}x{size}", ROUNDTRIP, "sgd", s
                        )
                        if name in runs:
                            noise_floor[s] = _largest_loss_gap(
                                pairs[s]["spatial"], runs[name]
                            )
                speedup = {}
                for tau in THRESHOLDS:
                    values = [per_seed[s][tau]["speedup"] for s in seeds]
                    median, ci = median_interval(values)
                    speedup[str(tau)] = {
                        "median": median if values else None,
                        "ci95": ci,
                        "per_seed": values,
                        "not_reached": sum(
                            not per_seed[s][tau]["reached"] for s in seeds
                        ),
                    }
                cases.append(
                    {
                        "network": network,
                        "filter_size": size,
                        "optimizer": optimizer,
                        "learning_rate": rates or SGD_CONTROL["learning_rate"],
                        "seeds": seeds,
                        "speedup": speedup,
                        "max_train_loss_gap": max(loss_gap)
                        if loss_gap
                        else None,
                        "train_loss_gap": loss_gap,
                        "noise_floor_seeds": sorted(noise_floor),
                        "noise_floor_gap": [
                            noise_floor[s] for s in sorted(noise_floor)
                        ],
                        "gap_ratio": [
                            _gap_ratio(loss_gap[seeds.index(s)], noise_floor[s])
                            for s in sorted(noise_floor)
                        ],
                        "final_test_error": {
                            conv: [pairs[s][conv]["test_error"] for s in seeds]
                            for conv in CONVS
                        },
                        "best_val_error": {
                            conv: [
                                best_validation_error(pairs[s][conv]["history"])
                                for s in seeds
                            ]
                            for conv in CONVS
                        },
                    }
                )
    return {"thresholds": list(THRESHOLDS), "cases": cases}


def _speedup_pairs(runs):
    """`(case, optimizer, seed, {conv: document})` of every finished pair
    of speed-up runs (Adam: at each parametrisation's chosen rate)."""
    for network in SPEEDUP_NETWORKS:
        for size in FILTER_SIZES:
            case = f"{network}-{size}x{size}"
            for optimizer in ("adam", "sgd"):
                rates = {conv: None for conv in CONVS}
                if optimizer == "adam":
                    rates = {
                        conv: chosen_learning_rate(runs, f"{case}-adam", conv)
                        for conv in CONVS
                    }
                    if None in rates.values():
                        continue
                for seed in SEEDS["speedup"]:
                    docs = {
                        conv: runs.get(
                            speedup_name(
                                case, conv, optimizer, seed, rates[conv]
                            )
                        )
                        for conv in CONVS
                    }
                    if None not in docs.values():
                        yield case, optimizer, seed, docs


def loss_gaps(record_dir=None):
    """How far paired runs' training losses are apart.

    Returns `{"adam" | "sgd" | "floor": {"first": median gap after the
    first epoch, "last": median gap after the last epoch, "largest": the
    largest gap at any epoch, "pairs": n}}` over every finished pair (cases
    and seeds): spatial vs spectral under Adam and under SGD, and
    (`"floor"`) the SGD spatial run vs its copy started from the spectral
    round trip of its initial kernels. None values where no pair has
    finished.
    """
    runs = record_runs(record_dir)
    gaps = {"adam": [], "sgd": [], "floor": []}
    for case, optimizer, seed, docs in _speedup_pairs(runs):
        gaps[optimizer].append(
            _loss_gap_curve(docs["spatial"], docs["spectral"])
        )
        if optimizer == "sgd":
            twin = runs.get(speedup_name(case, ROUNDTRIP, "sgd", seed))
            if twin is not None:
                gaps["floor"].append(_loss_gap_curve(docs["spatial"], twin))
    out = {}
    for key, curves in gaps.items():
        out[key] = {
            "first": float(np.median([c[0] for c in curves]))
            if curves
            else None,
            "last": float(np.median([c[-1] for c in curves]))
            if curves
            else None,
            "largest": max(max(c) for c in curves) if curves else None,
            "pairs": len(curves),
        }
    return out


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.summaries"))
