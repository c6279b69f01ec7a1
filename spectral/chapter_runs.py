"""The chapters' own executions at a profile's size.

Each function trains or measures what one chapter shows, writes that
chapter's result file (its format is defined here, beside the code that
fills it), and returns what the chapter glues, so a chapter cell is one call
plus glue. The book's verdicts do not come from these runs (they come from
the laptop record, `spectral.record`); these show that each experiment runs
end to end at the size a profile sets (`book/params/`).
"""

import time
from pathlib import Path

import numpy as np

from spectral import experiments, metrics, paper
from spectral.report import speedup_case_sentence

SPEEDUP_NETWORKS = ("deep", "generic", "spectral_pooling")
SPEEDUP_FILTER_SIZES = (3, 5)
NETWORK_NAMES = {"deep": "Deep", "generic": "Generic", "spectral_pooling": "Sp. pooling"}
SPEEDUP_DEFINITION = (
    "spatial first epoch reaching its final test error / spectral first "
    "epoch reaching it"
)


def convergence_speedup(
    dataset,
    *,
    train_size,
    test_size,
    num_blocks,
    batch_size,
    epochs,
    speedup_epochs,
    seeds,
    state_dir,
    results_dir,
    profile,
    deadline=None,
):
    """Chapter 4: spatial vs spectral parametrisation of the three networks.

    For each network (Deep, Generic, the §5.1 spectral-pooling network) and
    filter size (3×3, 5×5), trains a spatial and a spectral run per seed
    from the same initialisation and batches (Adam at 1e-3, no weight decay,
    the paper's augmentation), and computes the paper's speed-up per seed
    (`spectral.metrics.convergence_speedup`) and its mean over the seeds
    whose spectral run reached the target (`metrics.mean_speedup`).

    Args:
        dataset: the chapter's data (`experiments.load_chapter_data`).
        train_size, test_size, num_blocks, batch_size: the profile's sizes.
        epochs: epochs of the spectral-pooling network's runs.
        speedup_epochs: epochs of the Deep and Generic runs.
        seeds: the seeds.
        state_dir: parent of the runs' directories (`<state_dir>/speedup`).
        results_dir: where `speedup.json` is written.
        profile: the profile's name, recorded in the file.
        deadline: optional `time.time()` after which no epoch starts
            (unfinished runs raise `experiments.IncompleteRunError`).

    Returns:
        `{"cases", "rows", "panels", "sentences"}`: the result file's cases
        (keyed `<network>_<k>x<k>`), one table row per case, one figure
        panel per case (first seed; `plotting.speedup_grid`), and one
        sentence per case (`report.speedup_case_sentence`).
    """
    started = time.time()
    panels, rows, cases, sentences = [], [], {}, {}
    for network in SPEEDUP_NETWORKS:
        for size in SPEEDUP_FILTER_SIZES:
            runs = {}
            for conv in ("spatial", "spectral"):
                config = experiments.TrainConfig(
                    dataset="synthetic" if dataset.is_synthetic else "cifar10",
                    train_size=train_size,
                    test_size=test_size,
                    network=network,
                    conv=conv,
                    filter_size=size,
                    num_blocks=num_blocks,
                    optimizer="adam",
                    learning_rate=1e-3,
                    weight_decay=0.0,
                    lr_drops=(),
                    augment=True,
                    batch_size=batch_size,
                    epochs=epochs if network == "spectral_pooling" else speedup_epochs,
                )
                runs[conv] = experiments.run_seeds(
                    config, seeds, f"{state_dir}/speedup", deadline=deadline,
                    dataset=dataset,
                )
            per_seed = [
                metrics.convergence_speedup(
                    [r["test_error"] for r in a.history],
                    [r["test_error"] for r in b.history],
                )
                for a, b in zip(runs["spatial"], runs["spectral"])
            ]
            over_seeds = metrics.mean_speedup(per_seed)
            key = f"{network}_{size}x{size}"
            name = NETWORK_NAMES[network]
            cases[key] = {
                "per_seed": per_seed,
                "mean_speedup": over_seeds["mean"],
                "seeds_reaching_target": over_seeds["reached"],
                "paper": paper.SPEEDUP[(network, size)],
                "spatial_final_error": [r.test_error for r in runs["spatial"]],
                "spectral_final_error": [r.test_error for r in runs["spectral"]],
                "histories": {c: [r.history for r in rs] for c, rs in runs.items()},
            }
            rows.append({
                "network": name,
                "filter": f"{size}×{size}",
                "ours": over_seeds["mean"],
                "paper": paper.SPEEDUP[(network, size)],
                "spatial": float(np.mean(cases[key]["spatial_final_error"])),
                "spectral": float(np.mean(cases[key]["spectral_final_error"])),
            })
            panels.append({
                "title": f"{name} {size}×{size}",
                "spatial": [r["test_error"] for r in runs["spatial"][0].history],
                "spectral": [r["test_error"] for r in runs["spectral"][0].history],
                "speedup": per_seed[0],
            })
            sentences[key] = speedup_case_sentence(
                cases[key], f"the {name} network with {size}×{size} filters"
            )
    experiments.write_result(Path(results_dir) / "speedup.json", {
        "cases": cases,
        "seeds": list(seeds),
        "data_source": dataset.source,
        "epochs": {"deep": speedup_epochs, "generic": speedup_epochs,
                   "spectral_pooling": epochs},
        "definition": SPEEDUP_DEFINITION,
        "wall_seconds": time.time() - started,
        "profile": profile,
    })
    return {"cases": cases, "rows": rows, "panels": panels, "sentences": sentences}


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.chapter_runs"))
