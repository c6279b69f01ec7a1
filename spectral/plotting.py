"""Figures, tables and notices used by the book (one style, all tested).

Every figure function returns a `matplotlib.figure.Figure` and draws only
from its arguments; `save_figure` writes one to disk for reuse outside the
book. `data_notice` and `markdown_table` return `IPython`-displayable
Markdown, rendered by the book as MyST (admonitions included).
"""

import functools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter
from matplotlib.ticker import LogLocator
from matplotlib.ticker import MaxNLocator
from matplotlib.ticker import NullFormatter
from matplotlib.ticker import PercentFormatter

from spectral import data as data_lib
from spectral import fourier
from spectral import parametrisation
from spectral import metrics
# The legibility checks of the figures live in `spectral.figure_checks`.
from spectral.figure_checks import (  # noqa: F401 (re-exported)
    ARTICLE_PX,
    MIN_POINTS,
    smallest_text_points,
    text_overlaps,
)

COLOURS = {
    "spectral": "#1f77b4",
    "spectral-no-dropout": "#17becf",
    "max": "#d62728",
    "average": "#7f7f7f",
    "spatial": "#d62728",
    "paper": "#2ca02c",
    "adam": "#9467bd",
    "sgd": "#8c564b",
    "rounding": "#7f7f7f",
}


# Every figure is drawn at 150 dpi with 10-point text: at the book's page
# width (about 800 px) a 5.5-inch figure fills the column and its labels
# read at the size of the body text. Applied per figure (`rc_context`), so
# importing this module changes no global matplotlib setting.
STYLE = {
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    # Constrained layout keeps titles, labels and legends from overlapping.
    "figure.constrained_layout.use": True,
}


def _book_style(function):
    """Runs a figure function under `STYLE`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def _plain_log_ticks(ax):
    """Log-axis tick labels as plain numbers (0.5, 1, 2), not 5×10⁻¹: ticks
    at 1, 2 and 5 times the powers of ten (at most about eight of them),
    unlabelled minor ticks, so that labels never crowd."""
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=8))
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(NullFormatter())


def _percent(ax):
    """An error axis in percent, as the book's tables give errors."""
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _per_epoch(ax, values, **style):
    """Plots `values` against epochs 1, 2, ... on `ax`."""
    return ax.plot(np.arange(1, len(values) + 1), values, **style)


def _style(ax, integer_x=False):
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def save_figure(fig, name, directory="_build/figures"):
    """Writes `fig` as `<directory>/<name>.png` and `.pdf`; returns paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{name}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, bbox_inches="tight", dpi=150)
    return paths


def _show_image(ax, image, title=None):
    image = np.asarray(image, np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    ax.imshow(
        np.clip(image, 0, 1),
        cmap="gray" if image.ndim == 2 else None,
        interpolation="nearest",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


@_book_style
def nyquist_figure(size=12, output=6, frequency=(3, 2)):
    """Why fixing four points is wrong for even sizes.

    A `size x size` cosine with frequency `frequency` (its row frequency
    folds onto the output's Nyquist row) is pooled to `output x output` by
    the library (equal to `scipy.signal.resample` per axis, the exact
    sampling of the band-limited signal) and by a crop that only makes the
    four self-conjugate corner points real.
    """
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    x = np.cos(
        2 * np.pi * (frequency[0] * rows + frequency[1] * cols) / size + 0.4
    )
    ours = np.asarray(
        fourier.spectral_pool(x[None, :, :, None].astype("float32"), output)
    )[0, :, :, 0]
    step = size // output
    sampled = x[::step, ::step]
    spectrum = np.fft.fftshift(np.fft.fft2(x))
    top, left = size // 2 - output // 2, size // 2 - output // 2
    crop = np.fft.ifftshift(spectrum[top : top + output, left : left + output])
    for i in {0, output // 2}:
        for j in {0, output // 2}:
            crop[i, j] = crop[i, j].real
    four_point = np.real(np.fft.ifft2(crop)) * (output**2) / size**2
    panels = [
        (x, f"input {size}x{size}"),
        (sampled, "exact samples of the signal"),
        (ours, "spectral_pool (whole Nyquist row)"),
        (four_point, "four-point fix"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(5.2, 5.6))
    for ax, (image, title) in zip(axes.flat, panels):
        ax.imshow(
            image, cmap="RdBu", vmin=-1.2, vmax=1.2, interpolation="nearest"
        )
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    error_ours = np.abs(ours - sampled).max()
    error_four = np.abs(four_point - sampled).max()
    fig.suptitle(
        f"max error vs exact samples:\nlibrary {error_ours:.1e}, "
        f"four-point fix {error_four:.2f}",
        fontsize=10,
    )
    return fig


@_book_style
def pooling_grid(images, strides=(2, 4, 8)):
    """Fig. 2 of the paper: max vs spectral pooling at growing reduction.

    For each image (rows) and each stride `s`: max pooling with `s x s`
    windows, shown by repeating each pooled value, and spectral pooling
    keeping the same fraction `1/s^2`, shown by spectral interpolation.
    """
    images = np.asarray(images, np.float32)
    size = images.shape[1]
    fig, axes = plt.subplots(
        len(images),
        1 + 2 * len(strides),
        figsize=(7.6, 7.6 / (1 + 2 * len(strides)) * 1.45 * len(images)),
        squeeze=False,
    )
    for row, image in enumerate(images):
        _show_image(axes[row, 0], image, "original" if row == 0 else None)
        for k, stride in enumerate(strides):
            batch = image[None]
            max_image, kept = metrics.pool_and_reconstruct(batch, "max", stride)
            spectral_image, _ = metrics.pool_and_reconstruct(
                batch, "spectral", max(1, size // stride)
            )
            titles = (f"max\n{kept:.3g} kept", f"spectral\n{kept:.3g} kept")
            for offset, (picture, title) in enumerate(
                zip((max_image[0], spectral_image[0]), titles)
            ):
                _show_image(
                    axes[row, 1 + 2 * k + offset],
                    picture,
                    title if row == 0 else None,
                )
    return fig


@_book_style
def approximation_figure(curves, paper_points=None, title=None):
    """Fig. 4a: approximation loss against the fraction of parameters kept.

    Args:
        curves: output of `spectral.metrics.approximation_curves`.
        paper_points: optional `{"spectral": [(f, e), ...], "max": [...]}`
            read off the paper's figure, drawn as hollow markers.
        title: optional axes title.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    kept, error = zip(*curves["spectral"])
    ax.plot(
        kept,
        error,
        "-o",
        ms=3,
        color=COLOURS["spectral"],
        label="spectral pooling",
    )
    for method, marker in (("max", "s"), ("average", "^")):
        if curves.get(method):
            k, e = zip(*curves[method])
            ax.plot(
                k,
                e,
                marker,
                color=COLOURS[method],
                label=f"{method} pooling (stride 2, 3, 4)",
            )
    if curves.get("max"):
        best = min(e for k, e in curves["max"])
        ax.axhline(
            best,
            color=COLOURS["max"],
            lw=0.8,
            ls="--",
            label="best max pooling",
        )
    for method, points in (paper_points or {}).items():
        k, e = zip(*points)
        ax.plot(
            k,
            e,
            "o",
            mfc="none",
            color=COLOURS.get(method, "k"),
            label=f"paper, {method} (read off Fig. 4a)",
        )
    ax.set_xlabel("fraction of parameters kept")
    ax.set_ylabel(r"approximation loss $\|f-\hat f\|/\|f\|$")
    if title:
        ax.set_title(title, fontsize=10)
    _style(ax)
    ax.legend(fontsize=9)
    return fig


@_book_style
def lowpass_figure(image, kept_sizes):
    """Frequency dropout: one image low-passed to several kept sizes `R`."""
    image = np.asarray(image, np.float32)
    fig, axes = plt.subplots(
        1, len(kept_sizes), figsize=(1.8 * len(kept_sizes), 2.0), squeeze=False
    )
    for ax, kept in zip(axes[0], kept_sizes):
        low = fourier.frequency_lowpass(image[None], (kept, kept))
        _show_image(ax, np.asarray(low)[0], f"R = {kept}")
    return fig


@_book_style
def kernel_basis_figure(kernel_size=(3, 3)):
    """The orthonormal spectral basis of `SpectralConv2D` filters."""
    basis = parametrisation.spectral_kernel_basis(kernel_size)
    count = basis.shape[1]
    rows, columns = kernel_size if np.prod(kernel_size) == count else (1, count)
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.05 * columns, 1.2 * rows), squeeze=False
    )
    limit = np.abs(basis).max()
    for p, ax in enumerate(axes.flat):
        ax.imshow(
            basis[:, p].reshape(kernel_size),
            cmap="RdBu",
            vmin=-limit,
            vmax=limit,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"θ{p}", fontsize=9)
    return fig


@_book_style
def learning_curves(curves, ylabel="test error", title=None, log=False):
    """Per-epoch curves, e.g. spatial vs spectral runs (Fig. 5a style).

    Args:
        curves: list of `(label, errors, style)` with `style` a dict of
            matplotlib keyword arguments (may be empty).
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for label, errors, style in curves:
        _per_epoch(ax, errors, label=label, **(style or {}))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if "error" in ylabel and not log:
        _percent(ax)
    if title:
        ax.set_title(title, fontsize=10)
    _style(ax, integer_x=True)
    if any(label for label, _, _ in curves):
        ax.legend(fontsize=9)
    if not curves:
        # Say so on the figure rather than show empty axes.
        ax.text(
            0.5,
            0.5,
            "no finished run yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color="0.4",
        )
    return fig


@_book_style
def speed_ratio_figure(rows):
    """FFTConv2D / Conv2D time against kernel size, one line per input."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    sizes = sorted({r["input_size"] for r in rows if "input_size" in r})
    for size in sizes:
        points = sorted(
            (r["kernel_size"], r["ratio"])
            for r in rows
            if r.get("input_size") == size
        )
        k, ratio = zip(*points)
        ax.plot(k, ratio, "-o", ms=3, label=f"{size}x{size} input")
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_yscale("log")
    _plain_log_ticks(ax)
    ax.set_xlabel("kernel size")
    ax.set_ylabel("time FFTConv2D / Conv2D")
    _style(ax)
    ax.legend(fontsize=9)
    return fig


def markdown_table(rows, columns, formats=None):
    """A Markdown table (displayable) of dict `rows` over `columns`.

    Args:
        rows: list of dicts.
        columns: list of `(key, header)`.
        formats: optional `{key: format_spec}`; None values print as "—".
    """
    from IPython.display import Markdown

    formats = formats or {}

    def cell(text):  # a "|" inside a cell would end it
        return str(text).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(h) for _, h in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                cells.append("—")
            elif key in formats:
                cells.append(cell(format(value, formats[key])))
            else:
                cells.append(cell(value))
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def data_notice(source, profile):
    """A MyST admonition saying what data and which profile made a page.

    Synthetic data produce a warning that the page shows no result; the
    JPEG-compressed CIFAR-10 copy and the exact subset are named; a smoke
    or CPU-scale profile is flagged as not the paper's protocol.
    """
    from IPython.display import Markdown

    if source == data_lib.SOURCE_SYNTHETIC:
        kind, title = "warning", "Synthetic data — no result on this page"
        body = (
            "This execution used **synthetic images** because no CIFAR "
            "copy was found. It only shows that the pipeline runs; "
            "nothing here says anything about spectral representations."
        )
    elif source == data_lib.SOURCE_JPEG:
        kind, title = "note", "Data: JPEG-compressed copy of CIFAR-10"
        body = (
            "Every CIFAR-10 number on this page was measured on a "
            "**JPEG-compressed copy** of CIFAR-10 (all 60,000 official "
            "images after lossy compression; median PSNR 30.6 dB against "
            "the official pixels), not on the official archive."
        )
    else:
        kind, title = "note", "Data"
        body = f"Data source: {source}."
    if profile != "paper":
        body += (
            f"\n\nProfile **{profile}**: reduced data, epochs and seeds "
            "so that it runs on a CPU. Its numbers are not comparable "
            "with the paper's protocol."
        )
    return Markdown(f":::{{admonition}} {title}\n:class: {kind}\n\n{body}\n:::")


@_book_style
def speedup_grid(panels):
    """Fig. 5a: spatial vs spectral test-error curves, one panel per case.

    Args:
        panels: list of dicts with `title`, `spatial` and `spectral` (lists
            of per-epoch errors), and the `speedup` dict of
            `spectral.metrics.convergence_speedup` (a None speed-up, the
            spectral run never reaching the target, is titled so).
    """
    columns = 2
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(7.2, 2.3 * rows), squeeze=False
    )
    for ax, panel in zip(axes.flat, panels):
        for key in ("spatial", "spectral"):
            _per_epoch(ax, panel[key], color=COLOURS[key], label=key)
        result = panel["speedup"]
        if result["spectral_epoch"]:
            ax.plot(
                result["spectral_epoch"],
                result["target_error"],
                "D",
                color=COLOURS["spectral"],
                ms=5,
            )
        ax.axhline(result["target_error"], color="k", lw=0.6, ls=":")
        speedup = result["speedup"]
        ax.set_title(
            f"{panel['title']}: "
            + ("target not reached" if speedup is None else f"speed-up {speedup:.2f}"),
            fontsize=9,
        )
        ax.set_xlabel("epoch", fontsize=9)
        ax.set_ylabel("test error", fontsize=9)
        _percent(ax)
        _style(ax, integer_x=True)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=9)
    return fig


OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD"}


def _no_data(ax):
    """Marks an empty panel of a record that is still growing."""
    ax.text(
        0.5,
        0.5,
        "no finished pair yet",
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="0.4",
    )
    ax.set_yticks([])


@_book_style
def speedup_record_figure(panels, thresholds=(0.5, 1.0), chance=0.9):
    """The laptop study's speed-up runs: curves and the SGD control.

    One row per case (network and filter size), three columns: validation
    error per epoch under Adam, the same under SGD (spatial solid and
    spectral dashed, one pair per seed, `COLOURS`), and the largest
    training-loss gap between the paired runs up to each epoch for both
    optimisers, and under SGD between the spatial run and its copy started
    from rounded weights (dotted, where a pair has `roundtrip_loss`; log
    axis; gaps below 1e-8 drawn at 1e-8). Dotted lines mark
    the targets of the first and last of `thresholds` (fractions of the
    spatial run's improvement over the error `chance`) for the first seed
    under Adam.

    Args:
        panels: list of dicts with `title` and, per optimiser `"adam"` and
            `"sgd"`, a list (one per seed) of dicts with `spatial` and
            `spectral` validation-error curves and `spatial_loss` and
            `spectral_loss` training-loss curves.
    """
    rows = max(1, len(panels))
    fig, axes = plt.subplots(
        rows, 3, figsize=(7.2, 1.9 * rows + 0.5), squeeze=False, sharex="row"
    )
    for row, panel in enumerate(panels):
        for column, optimizer in enumerate(("adam", "sgd")):
            ax = axes[row, column]
            for i, pair in enumerate(panel.get(optimizer, [])):
                for conv in ("spatial", "spectral"):
                    _per_epoch(
                        ax,
                        pair[conv],
                        color=COLOURS[conv],
                        lw=1.2,
                        # dashed, so that a curve hidden under the other
                        # (SGD: the runs coincide) still shows
                        ls="--" if conv == "spectral" else "-",
                        alpha=0.9 if i == 0 else 0.5,
                        label=conv if i == 0 else None,
                    )
                if i == 0 and optimizer == "adam":
                    best = min(pair["spatial"])
                    for tau in (thresholds[0], thresholds[-1]):
                        target = chance - tau * (chance - best)
                        ax.axhline(target, color="k", lw=0.7, ls=":")
            if not panel.get(optimizer):
                _no_data(ax)
            _percent(ax)
            if row == 0:
                ax.set_title(f"{OPTIMIZER_NAMES[optimizer]}: val. error")
            if column == 0:
                ax.set_ylabel(panel["title"])
            _style(ax, integer_x=True)
        ax = axes[row, 2]
        for optimizer, other, label in (
            ("adam", "spectral_loss", "Adam"),
            ("sgd", "spectral_loss", "SGD"),
            ("sgd", "roundtrip_loss", "SGD, rounding only"),
        ):
            pairs = [p for p in panel.get(optimizer, []) if other in p]
            for i, pair in enumerate(pairs):
                gap = np.maximum.accumulate(
                    np.abs(
                        np.asarray(pair["spatial_loss"], float)
                        - np.asarray(pair[other], float)
                    )
                )
                _per_epoch(
                    ax,
                    np.maximum(gap, 1e-8),
                    color=COLOURS[
                        "rounding" if other == "roundtrip_loss" else optimizer
                    ],
                    lw=1.2,
                    ls=":" if other == "roundtrip_loss" else "-",
                    label=label if i == 0 else None,
                )
        ax.set_yscale("log")
        if not (panel.get("adam") or panel.get("sgd")):
            _no_data(ax)
        if row == 0:
            ax.set_title("training-loss gap")
        _style(ax, integer_x=True)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for column in range(3):
        for ax in axes[:, column]:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=9)
                break
    return fig


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.plotting"))
