"""Benchmarks of the spectral operators against the layers they replace.

`python -m spectral.bench [--quick] [--output FILE]` times, in one process,
forward plus backward passes (float32) of each operator and its built-in
counterpart, and prints a table of medians and ratios with the machine,
backend and versions; `--output` also writes them as JSON. These are
measurements, not tests: nothing here asserts a time.

Cases:
* `pooling`: spectral pooling (matrix and FFT paths) vs the max pooling
  producing the same size, at every pooling shape of the paper's networks
  (`pooling_shapes`);
* `frequency_dropout`: a random kept size per step vs a fixed one, with the
  number of traces of the compiled step (1 means no retracing);
* `spectral_conv`: `SpectralConv2D` vs `Conv2D` training step;
* `fft_conv`: `FFTConv2D` vs `Conv2D` over kernel sizes and input sizes,
  and the smallest kernel from which FFT wins;
* `end_to_end`: training images per second of the deep network with
  spectral vs max pooling.

`python -m spectral.bench --throughput [--loop device|fit] [--precision
float32|mixed_bfloat16] [--batch-size N]` instead measures the training
images per second of every network of the paper (`training_throughput`):
the first measurement to make on an accelerator.
"""

import argparse
import statistics
import sys
import time

import keras
import numpy as np

from spectral import fourier
from spectral import layers
from spectral import models
# Training throughput lives in `spectral.training.throughput`; re-exported.
from spectral.training.throughput import (  # noqa: F401
    THROUGHPUT_NETWORKS,
    training_throughput,
)


def _sync(value):
    """Blocks until `value` (a structure of tensors) is computed."""
    leaves = keras.tree.flatten(value)
    if leaves:
        keras.ops.convert_to_numpy(leaves[0])
    return value


class Timing(float):
    """Seconds (a float) that also carry their run-to-run `spread`: half
    the interquartile range of the repeats, relative to the median."""

    spread = 0.0


def median_seconds(step, repeats=10, warmup=2):
    """Median wall time of `step()` over `repeats` calls after `warmup`,
    as a `Timing` (its `spread` measures the benchmark's own noise)."""
    for _ in range(warmup):
        _sync(step())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _sync(step())
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    timing = Timing(median)
    if len(times) >= 4 and median > 0:
        q1, _, q3 = statistics.quantiles(times, n=4)
        timing.spread = (q3 - q1) / 2 / median
    return timing


def gradient_step(function, x, variables=(), counter=None):
    """A compiled callable computing the gradient of `sum(function(x)**2)`.

    The gradient is taken with respect to `x` and `variables` (Keras
    variables read inside `function`), on the active backend. `counter`,
    a list, receives one item per trace of the compiled function.
    """
    backend = keras.backend.backend()
    x = keras.ops.convert_to_tensor(x)
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(inputs):
            if counter is not None:
                counter.append(1)
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                outputs = function(inputs)
                loss = tf.reduce_sum(outputs * outputs)
            return tape.gradient(loss, [inputs] + [v.value for v in variables])

        return lambda: step(x)
    if backend == "jax":
        import jax
        from keras import StatelessScope

        def loss(inputs, values):
            if counter is not None:
                counter.append(1)
            mapping = list(zip(variables, values))
            with StatelessScope(state_mapping=mapping):
                outputs = function(inputs)
            return (outputs * outputs).sum()

        compiled = jax.jit(jax.grad(loss, argnums=(0, 1)))
        values = [v.value for v in variables]
        return lambda: compiled(x, values)
    raise NotImplementedError(f"no gradient step for backend {backend}")


def _layer_step(layer, x, training=False, counter=None):
    layer(x[:1])  # build

    def run(inputs):
        return layer(inputs, training=training)

    return gradient_step(run, x, layer.trainable_variables, counter)


def _normal(shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def _row(case, seconds, baseline, baseline_seconds, **extra):
    """One result row: a case, its baseline and their ratio."""
    noise = (
        getattr(seconds, "spread", 0.0) ** 2
        + getattr(baseline_seconds, "spread", 0.0) ** 2
    ) ** 0.5
    return {
        "case": case,
        "seconds": float(seconds),
        "baseline": baseline,
        "baseline_seconds": float(baseline_seconds),
        "ratio": float(seconds) / float(baseline_seconds),
        # the ratio's own run-to-run noise (relative), from both timings
        "noise": max(noise, MIN_NOISE),
        **extra,
    }


def _compare_layers(layer, baseline, x, repeats):
    """Median step times of `layer` and `baseline` on the same input."""
    return (
        median_seconds(_layer_step(layer, x), repeats),
        median_seconds(_layer_step(baseline, x), repeats),
    )


def pooling_shapes(quick=False):
    """Every pooling of the paper's networks: `(input size, output size,
    channels, baseline)`, where the baseline is the max pooling that
    produces the same size.

    * 32 -> 16 against `MaxPooling2D(2)` (the common halving);
    * 32 -> 15 and 15 -> 7 against `MaxPooling2D(3, 2)` (the Generic and
      Deep networks' pooling, at their 96 and 192 channels);
    * the §5.1 network at M = 8, gamma = 0.85 (32 -> 27 -> ... -> 6, with
      `min(96 + 32 m, 288)` channels) against `AdaptiveMaxPooling2D`, the
      only max pooling to those sizes.

    `quick` keeps the first two §5.1 shapes.
    """
    shapes = [
        (32, 16, 96, "MaxPooling2D(2)"),
        (32, 15, 96, "MaxPooling2D(3, 2)"),
        (15, 7, 192, "MaxPooling2D(3, 2)"),
    ]
    sizes = models.pooled_sizes(32, 0.85, 8)
    for m, (size_in, size_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        shapes.append(
            (size_in, size_out, min(96 + 32 * m, 288), "AdaptiveMaxPooling2D")
        )
    return shapes[:5] if quick else shapes


def _max_pooling(name, output_size):
    if name == "MaxPooling2D(2)":
        return keras.layers.MaxPooling2D(2)
    if name == "MaxPooling2D(3, 2)":
        return keras.layers.MaxPooling2D(3, 2)
    return keras.layers.AdaptiveMaxPooling2D(output_size)


def bench_pooling(batch, channels, repeats, quick=False):
    """Spectral pooling against max pooling at every shape of
    `pooling_shapes` (matrix path; the FFT path too at 32 -> 16 and 15).

    `channels` None uses each shape's own channel count (the paper's
    widths); an int replaces it (a quick run).
    """
    rows = []
    for size_in, size_out, width, baseline in pooling_shapes(quick):
        x = _normal((batch, size_in, size_in, channels or width))
        layer = _max_pooling(baseline, size_out)
        reference = median_seconds(_layer_step(layer, x), repeats)
        methods = ("matmul",)
        if size_in == 32 and size_out in (15, 16):
            methods = ("matmul", "fft")
        for method in methods:
            seconds = median_seconds(
                gradient_step(
                    lambda t, s=size_out, m=method: fourier.spectral_pool(
                        t, s, method=m
                    ),
                    x,
                ),
                repeats,
            )
            rows.append(
                _row(
                    f"pooling {size_in}->{size_out}, {int(x.shape[-1])} ch "
                    f"({method})",
                    seconds,
                    baseline,
                    reference,
                    pool_from=size_in,
                    pool_to=size_out,
                    channels=int(x.shape[-1]),
                )
            )
    return rows


def pooling_text(rows):
    """Spectral pooling's cost against max pooling, in words, from the
    `bench_pooling` rows of the matrix path: the ratio against each fixed
    max pooling, and the range against `AdaptiveMaxPooling2D`.
    """
    matmul = [r for r in rows if r["case"].endswith("(matmul)")]
    parts = [
        f"{r['pool_from']}→{r['pool_to']} against `{r['baseline']}`: "
        f"{ratio_text(r['ratio'], r.get('noise', MIN_NOISE))}"
        for r in matmul
        if r["baseline"] != "AdaptiveMaxPooling2D"
    ]
    adaptive = [
        r["ratio"] for r in matmul if r["baseline"] == "AdaptiveMaxPooling2D"
    ]
    if adaptive:
        parts.append(
            f"at the §5.1 network's {len(adaptive)} shapes against "
            f"`AdaptiveMaxPooling2D`: {min(adaptive):.2f}× to "
            f"{max(adaptive):.2f}× "
            + (
                "(faster at every one)"
                if max(adaptive) < 1
                else "(slower at some)"
            )
        )
    return "; ".join(parts)


def bench_frequency_dropout(batch, channels, repeats):
    """Random kept size per step vs a fixed one; traces of the step."""
    x = _normal((batch, 27, 27, channels))
    traces = []
    layer = layers.FrequencyDropout(0.7, seed=0)
    random_size = median_seconds(
        _layer_step(layer, x, training=True, counter=traces), repeats
    )
    fixed = median_seconds(
        gradient_step(lambda t: fourier.frequency_lowpass(t, (19, 19)), x),
        repeats,
    )
    return [
        _row(
            "frequency dropout 27x27, random R",
            random_size,
            "fixed R=19",
            fixed,
            traces=len(traces),
        )
    ]


def bench_spectral_conv(batch, channels, repeats):
    """Training step of SpectralConv2D vs Conv2D (same shapes)."""
    x = _normal((batch, 32, 32, channels))
    rows = []
    for kernel in (3, 5):
        spectral, conv = _compare_layers(
            layers.SpectralConv2D(channels, kernel, padding="same"),
            keras.layers.Conv2D(channels, kernel, padding="same"),
            x,
            repeats,
        )
        rows.append(
            _row(f"SpectralConv2D {kernel}x{kernel}", spectral, "Conv2D", conv)
        )
    return rows


def bench_fft_conv(batch, channels, sizes, kernels, repeats):
    """FFTConv2D vs Conv2D per kernel and input size, and the crossover."""
    rows, crossover = [], {}
    for size in sizes:
        x = _normal((batch, size, size, channels))
        for kernel in kernels:
            fft, conv = _compare_layers(
                layers.FFTConv2D(channels, kernel, padding="same"),
                keras.layers.Conv2D(channels, kernel, padding="same"),
                x,
                repeats,
            )
            rows.append(
                _row(
                    f"FFTConv2D {size}x{size}, {kernel}x{kernel}",
                    fft,
                    "Conv2D",
                    conv,
                    input_size=size,
                    kernel_size=kernel,
                )
            )
            if rows[-1]["ratio"] < 1 - rows[-1]["noise"] and size not in crossover:
                crossover[size] = kernel  # measurably faster, beyond the noise
    return rows, {str(s): crossover.get(s) for s in sizes}


def bench_end_to_end(batch, repeats):
    """Training images/s of the deep network, spectral vs max pooling."""
    x = np.random.default_rng(0).random((batch, 32, 32, 3)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, size=batch)
    rates = {}
    for pooling in ("max", "spectral"):
        model = models.build_model("deep", pooling=pooling)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        seconds = median_seconds(
            lambda m=model: m.train_on_batch(x, y), repeats
        )
        rates[pooling] = batch / seconds
    return [
        _row(
            "deep network training, spectral pooling",
            batch / rates["spectral"],
            "max pooling",
            batch / rates["max"],
            images_per_second=rates["spectral"],
            baseline_images_per_second=rates["max"],
        )
    ]


def run(quick=False):
    """Runs every case; returns a JSON-ready dict with provenance."""
    from spectral import experiments

    repeats = 5 if quick else 15
    batch = 32 if quick else 128
    channels = 32 if quick else 96
    results = {
        "settings": {
            "quick": quick,
            "batch": batch,
            "channels": channels,
            "repeats": repeats,
            "statistic": "median seconds, forward+backward",
        }
    }
    results["provenance"] = experiments.provenance()
    rows = []
    rows += bench_pooling(batch, channels if quick else None, repeats, quick)
    rows += bench_frequency_dropout(batch, channels, repeats)
    rows += bench_spectral_conv(batch, channels, repeats)
    fft_rows, crossover = bench_fft_conv(
        max(8, batch // 8),
        16 if quick else 32,
        (32, 64),
        # every odd kernel size, so the crossover is located exactly
        (3, 5, 7, 9, 11, 13, 15) if not quick else (3, 7, 11),
        repeats,
    )
    rows += fft_rows
    rows += bench_end_to_end(batch, max(3, repeats // 3))
    results["rows"] = rows
    results["fft_crossover_kernel"] = crossover
    return results


# The smallest noise a ratio is credited with: timings on a shared CPU
# drift by a few percent between repeats even when their spread is tiny.
MIN_NOISE = 0.05


def ratio_text(ratio, noise=MIN_NOISE):
    """A time ratio as words, never claiming what the noise cannot show.

    `noise` is the ratio's relative run-to-run noise (a row's `"noise"`);
    a ratio within it of 1 is "no measurable difference".

    Example:

    >>> ratio_text(0.7), ratio_text(1.3), ratio_text(0.95)
    ('0.70× (faster)', '1.30× (slower)', '0.95× (no measurable difference: within the ±5% noise of the measurement)')
    """
    if abs(ratio - 1.0) <= noise + 1e-9:
        return (
            f"{ratio:.2f}× (no measurable difference: within the "
            f"±{noise:.0%} noise of the measurement)"
        )
    return f"{ratio:.2f}× ({'faster' if ratio < 1 else 'slower'})"


def crossover_text(rows, input_size):
    """Where `FFTConv2D` starts to beat `Conv2D` for one input size, in
    words, from the timed kernel sizes of `bench_fft_conv` rows.

    Example:

    >>> rows = [{"input_size": 32, "kernel_size": k, "ratio": r}
    ...         for k, r in ((11, 2.0), (13, 1.2), (15, 0.6))]
    >>> crossover_text(rows, 32)
    'from 15×15 (13×13: 1.20×; 15×15: 0.60×)'
    """
    timed = sorted(
        (
            r["kernel_size"],
            r["ratio"],
            r.get("noise", MIN_NOISE),
            r.get("baseline_seconds"),
        )
        for r in rows
        if r.get("input_size") == input_size
    )
    # a win is a ratio below 1 by more than its noise
    wins = [i for i, (_, ratio, noise, _) in enumerate(timed) if ratio < 1 - noise]
    if not wins:
        largest = timed[-1][0] if timed else None
        return f"never measurably, up to {largest}×{largest}"
    first = wins[0]
    kernel, ratio, _, base = timed[first]
    text = f"from {kernel}×{kernel} ("
    if first > 0:
        before, before_ratio, _, before_base = timed[first - 1]
        text += f"{before}×{before}: {before_ratio:.2f}×; "
        text += f"{kernel}×{kernel}: {ratio:.2f}×)"
        # Conv2D's own time may jump between two sizes (another kernel of
        # the backend): then the crossover is Conv2D's jump, not the FFT's.
        if base and before_base and base / before_base > 2 * (kernel / before) ** 2:
            text += (
                f", where Conv2D's own time jumps from {1e3 * before_base:.0f} "
                f"to {1e3 * base:.0f} ms, more than the kernel's area explains"
            )
        return text
    return text + f"{kernel}×{kernel}: {ratio:.2f}×)"


def format_table(results):
    """The rows as an aligned text table."""
    info = results["provenance"]
    lines = [
        f"backend {info['backend']} on {info['device']}; keras "
        f"{info['versions']['keras']}; {results['settings']}",
        f"{'case':44s} {'ms':>9s} {'baseline':>18s} {'ms':>9s} {'ratio':>7s}",
    ]
    for row in results["rows"]:
        lines.append(
            f"{row['case']:44s} {1e3 * row['seconds']:9.2f} "
            f"{row['baseline']:>18s} {1e3 * row['baseline_seconds']:9.2f} "
            f"{row['ratio']:7.2f}"
        )
        if "traces" in row:
            lines.append(
                f"{'':44s} compiled step traced {row['traces']} time(s)"
            )
    lines.append(
        f"FFT beats Conv2D from kernel size (per input size): "
        f"{results['fft_crossover_kernel']}"
    )
    return "\n".join(lines)


def main(argv=None):
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m spectral.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, few repeats (a smoke check)",
    )
    parser.add_argument("--output", help="write the results as JSON here")
    parser.add_argument(
        "--throughput",
        action="store_true",
        help="instead: training images/s of every network of the paper "
        "(the first unit of a GPU record)",
    )
    parser.add_argument(
        "--loop",
        choices=("device", "fit"),
        default="device",
        help="--throughput: training loop (device: JAX only)",
    )
    parser.add_argument(
        "--precision",
        choices=("float32", "mixed_bfloat16"),
        default="float32",
        help="--throughput: dtype policy",
    )
    parser.add_argument(
        "--batch-size", type=int, default=128, help="--throughput: batch size"
    )
    parser.add_argument(
        "--images",
        type=int,
        default=4096,
        help="--throughput: synthetic images per timed epoch",
    )
    parser.add_argument(
        "--width",
        type=float,
        default=1.0,
        help="--throughput: filter multiplier (1: the paper's widths)",
    )
    args = parser.parse_args(argv)
    if args.throughput:
        from spectral import experiments

        print(
            f"Training throughput on synthetic images (timing only), "
            f"{keras.backend.backend()} backend, loop {args.loop}, "
            f"{args.precision}, batch {args.batch_size}:"
        )
        results = {
            "settings": {
                "loop": args.loop,
                "precision": args.precision,
                "batch_size": args.batch_size,
                "images": args.images,
                "width": args.width,
                "data": "synthetic images (timing only)",
            },
            "provenance": experiments.provenance(),
            "rows": training_throughput(
                loop=args.loop,
                precision=args.precision,
                batch_size=args.batch_size,
                images=args.images,
                width=args.width,
            ),
        }
    else:
        results = run(quick=args.quick)
        print(format_table(results))
    if args.output:
        from spectral import jsonio

        jsonio.write_json(args.output, results)
    return 0


if __name__ == "__main__":
    from spectral.jsonio import run_command

    sys.exit(run_command(main))
