"""The chapters' own executions at a profile's size.

Each function trains or measures what one chapter shows, writes that
chapter's result file (its format is defined here, beside the code that
fills it), and returns what the chapter glues, so a chapter cell is one call
plus glue. The book's verdicts do not come from these runs (they come from
the laptop record, `spectral.record`); these show that each experiment runs
end to end at the size a profile sets (`book/params/`).
"""

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np

from spectral import bench, data, experiments, layers, metrics, models, paper, search
from spectral.config import section_5_1_config
from spectral.report import speedup_case_sentence

SPEEDUP_NETWORKS = ("deep", "generic", "spectral_pooling")
SPEEDUP_FILTER_SIZES = (3, 5)
NETWORK_NAMES = {"deep": "Deep", "generic": "Generic", "spectral_pooling": "Sp. pooling"}
SPEEDUP_DEFINITION = (
    "spatial first epoch reaching its final test error / spectral first "
    "epoch reaching it"
)



def train_seconds(runs):
    """The training time of `runs` (`experiments.Result`s) when they were
    trained, summed: what a result file reports as `train_seconds` beside
    `wall_seconds`, the time of the execution that wrote it (seconds when
    it reused finished runs)."""
    return float(sum(r.provenance.get("train_seconds_total", 0.0) for r in runs))

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
    panels, rows, cases, sentences, every_run = [], [], {}, {}, []
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
            every_run += runs["spatial"] + runs["spectral"]
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
        "train_seconds": train_seconds(every_run),
        "profile": profile,
    })
    return {"cases": cases, "rows": rows, "panels": panels, "sentences": sentences}


def classification(
    dataset,
    *,
    data_dir,
    train_size,
    test_size,
    num_blocks,
    epochs,
    batch_size,
    seeds,
    state_dir,
    results_dir,
    profile,
    deadline=None,
):
    """Chapter 3: the §5.1 network with spectral pooling, trained by the
    paper's protocol (`config.section_5_1_config`) at a profile's size, on
    CIFAR-10 and, where a CIFAR-100 archive is found (or can be downloaded
    when `data_dir` is None), on CIFAR-100 with the same settings.

    Writes `results_dir/cifar10.json` (config, seeds, per-seed histories,
    error summary, the CIFAR-100 summary or None, provenance).

    Returns:
        `{"config", "runs", "summary", "cifar100", "curves", "table",
        "glue"}`: the `TrainConfig`, the CIFAR-10 `Result`s, their
        `experiments.error_summary`, CIFAR-100's (or None), the learning
        curves (`plotting.learning_curves` input), the rows of the
        comparison with the paper's Table 1 and earlier reproductions, and
        the values the chapter glues, by glue name.
    """
    config = section_5_1_config(
        dataset="synthetic" if dataset.is_synthetic else "cifar10",
        train_size=train_size, test_size=test_size, num_blocks=num_blocks,
        epochs=epochs, batch_size=batch_size)
    started = time.time()
    runs = experiments.run_seeds(config, seeds, f"{state_dir}/classification",
                                 deadline=deadline, dataset=dataset)
    summary = experiments.error_summary(runs)
    try:
        cifar100 = data.load_cifar("cifar100", data_dir, download=data_dir is None)
    except FileNotFoundError:
        cifar100 = None
    cifar100_summary = None
    if cifar100 is not None:
        cifar100 = data.subset(cifar100, train_size, test_size, seed=0)
        runs100 = experiments.run_seeds(
            dataclasses.replace(config, dataset="cifar100"), seeds,
            f"{state_dir}/classification", deadline=deadline, dataset=cifar100)
        cifar100_summary = experiments.error_summary(runs100)
    experiments.write_result(Path(results_dir) / "cifar10.json", {
        "dataset": "cifar10",
        "data_source": dataset.source,
        "config": config.to_dict(),
        "seeds": list(seeds),
        "test_error": summary,
        "epochs": epochs,
        "train_images": len(dataset.x_train),
        "test_images": len(dataset.x_test),
        "wall_seconds": time.time() - started,
        "train_seconds": train_seconds(runs + (runs100 if cifar100 is not None else [])),
        "histories": [run.history for run in runs],
        "cifar100": cifar100_summary,
        "profile": profile,
    })
    curves = []
    for run in runs:
        curves.append((f"test, seed {run.config.seed}",
                       [row["test_error"] for row in run.history], {}))
        curves.append((f"train, seed {run.config.seed}",
                       [row["train_error"] for row in run.history], {"ls": "--"}))
    table = [
        {"method": "spectral pooling (paper)" if method == "spectral pooling"
         else f"{method} (paper's table)", "c10": c10, "c100": c100}
        for method, c10, c100 in paper.TABLE_1
    ] + [
        {"method": "Columbia 2017 reproduction", **_errors(paper.EARLIER["columbia2017"])},
        {"method": "seed 2021 reproduction", **_errors(paper.EARLIER["kalmath2021"])},
        {"method": f"**spectral pooling, this run ({profile})**",
         "c10": summary["mean"], "c10_std": summary["std"],
         "c100": None if cifar100_summary is None else cifar100_summary["mean"]},
    ]
    sizes = models.pooled_sizes(32, config.gamma, num_blocks)
    glue = {
        "cifar10-error-mean": summary["mean"],
        "cifar10-error-spread": summary["spread"],
        "cifar10-seeds": summary["n"],
        "cifar10-epochs": epochs,
        "cifar10-train-size": len(dataset.x_train),
        "cifar10-test-size": len(dataset.x_test),
        "map-sizes": " → ".join(str(s) for s in sizes),
        "lr-drops": ", ".join(str(e) for e in config.lr_drops) or "none",
        "cifar100-status": "not run here (no CIFAR-100 archive)"
        if cifar100_summary is None
        else f"{cifar100_summary['mean']:.2%} (n = {cifar100_summary['n']})",
    }
    return {"config": config, "runs": runs, "summary": summary,
            "cifar100": cifar100_summary, "curves": curves, "table": table,
            "glue": glue}


def search_trials(dataset, base, *, trials, state_dir, results_dir, profile):
    """Chapter 3: the paper's Bayesian hyper-parameter search
    (`spectral.search.search`) over `trials` trials, each trial training
    `base` (the chapter's §5.1 config) for half its epochs without
    learning-rate drops. Writes `results_dir/search.json` and returns the
    trials (stored under `state_dir/search`; a search resumes)."""
    config = dataclasses.replace(base, epochs=max(1, base.epochs // 2), lr_drops=())
    done = search.search(config, f"{state_dir}/search", max_trials=trials,
                         dataset=dataset)
    experiments.write_result(Path(results_dir) / "search.json", {
        "trials": done, "base_config": config.to_dict(),
        "data_source": dataset.source, "profile": profile})
    return done


def information(photos, photo_names, cifar, cifar_images, *, results_dir, profile):
    """Chapter 2: approximation loss against the fraction of values kept
    (`metrics.approximation_curves`) on the photographs and the CIFAR test
    images, at 25 fractions plus exactly a quarter (the comparison point).

    Writes `results_dir/information.json` (per set: each method's loss at a
    quarter kept, the curves, the images; the paper's Fig. 4a read-offs)
    and returns `{"photo_curves", "cifar_curves", "paper_points", "glue"}`.
    """
    fractions = np.union1d(np.linspace(0.02, 1.0, 25), [0.25])
    curves = {
        "photographs": metrics.approximation_curves(photos, fractions),
        "cifar": metrics.approximation_curves(cifar_images, fractions),
    }
    paper_points = {m: [list(p) for p in points]
                    for m, points in paper.FIG4A_READ_OFFS.items()}
    quarter = {
        name: {f"{method}_at_quarter": metrics.error_at_fraction(
                   set_curves[method], 0.25, tolerance=1e-6)
               for method in ("spectral", "max", "average")}
        for name, set_curves in curves.items()
    }
    summary = {
        "photographs": {**quarter["photographs"], "curves": curves["photographs"],
                        "images": list(photo_names)},
        "cifar": {**quarter["cifar"], "curves": curves["cifar"],
                  "images": len(cifar_images), "data_source": cifar.source},
        "paper_read_off": paper_points,
        "profile": profile,
    }
    experiments.write_result(Path(results_dir) / "information.json", summary)
    findings = metrics.information_findings(
        {"the photographs": curves["photographs"],
         "the CIFAR test images": curves["cifar"]})
    glue = {
        "information-findings-sets": " ".join(findings[:-1]),
        "information-findings-size": findings[-1],
        "cifar-count": len(cifar_images),
    }
    for name in ("photographs", "cifar"):
        for key, value in quarter[name].items():
            glue[f"{name}-{key}"] = value
    return {"photo_curves": curves["photographs"], "cifar_curves": curves["cifar"],
            "paper_points": paper_points, "glue": glue}


FFT_EXACTNESS_KERNELS = (1, 2, 3, 4, 5, 7, 9, 11)


def fft_exactness(kernels=FFT_EXACTNESS_KERNELS, seed=0):
    """Chapter 5: `layers.FFTConv2D` against `keras.layers.Conv2D` with the
    same weights, on a random batch (4×32×32×16), every kernel size in
    `kernels` and both paddings. Returns one row per case: `kernel`,
    `padding`, `max_abs_difference`, `relative` (to the largest output).
    The batch and the layers' initial weights are drawn from `seed`, so the
    rows replay exactly on the same machine."""
    x = np.random.default_rng(seed).normal(size=(4, 32, 32, 16)).astype("float32")
    keras.utils.set_random_seed(seed)
    rows = []
    for size in kernels:
        for padding in ("same", "valid"):
            fft = layers.FFTConv2D(16, size, padding=padding)
            conv = keras.layers.Conv2D(16, size, padding=padding)
            fft(x)
            conv(x)
            conv.set_weights(fft.get_weights())
            reference = np.asarray(conv(x))
            difference = np.max(np.abs(np.asarray(fft(x)) - reference))
            rows.append({"kernel": f"{size}×{size}", "padding": padding,
                         "max_abs_difference": float(difference),
                         "relative": float(difference / np.max(np.abs(reference)))})
    return rows


def fft_speed(exactness, *, quick, results_dir, profile):
    """Chapter 5: the timings of `spectral.bench.run` (side-by-side ratios),
    written with the exactness rows to `results_dir/bench.json`. Returns
    `{"timings", "glue", "markdown"}`: the timings, the chapter's values
    and sentences, and its Markdown paragraphs, by glue name."""
    timings = bench.run(quick=quick)
    experiments.write_result(Path(results_dir) / "bench.json",
                             {**timings, "exactness": exactness, "profile": profile})
    rows = timings["rows"]
    conv3 = next(r for r in rows if r["case"] == "SpectralConv2D 3x3")
    dropout = next(r for r in rows if r["case"].startswith("frequency dropout"))
    info, settings = timings["provenance"], timings["settings"]
    glue = {
        "spectral-conv3-ratio": bench.ratio_text(conv3["ratio"], conv3["noise"]),
        "dropout-ratio": bench.ratio_text(dropout["ratio"], dropout["noise"]),
        "dropout-traces": dropout["traces"],
        "crossover": "; ".join(f"{s}×{s} inputs: {bench.crossover_text(rows, int(s))}"
                               for s in timings["fft_crossover_kernel"]),
        "kernels-timed": ", ".join(str(k) for k in sorted(
            {r["kernel_size"] for r in rows if "kernel_size" in r})),
        "bench-machine": f"{info['backend']} backend on {info['device']}",
        "bench-settings": f"batch {settings['batch']}, {settings['channels']} "
                          f"channels, median of {settings['repeats']}",
    }
    markdown = {"pool-text": bench.pooling_text(
        [r for r in rows if r["case"].startswith("pooling")])}
    return {"timings": timings, "glue": glue, "markdown": markdown}


def _errors(entry):
    return {"c10": entry["cifar10"], "c100": entry["cifar100"]}


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.chapter_runs"))
