"""Legibility checks of the book's figures (used by the tests).

A figure passes when no two drawn texts overlap (`text_overlaps`) and its
smallest text reads at least `MIN_POINTS` points when shown in the book's
article column (`smallest_text_points`, `ARTICLE_PX` wide).
`spectral.plotting` re-exports these names.
"""

import matplotlib.text

# The width of the book's article column in CSS pixels (sphinx-book-theme at
# 1280 px with the contents panel): a figure is shown at most this wide.
ARTICLE_PX = 750
MIN_POINTS = 9.0


def _hidden_tick_labels(fig):
    """Tick labels matplotlib does not draw: those of ticks outside their
    axis's view interval."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - span <= tick.get_loc() <= high + span:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def _texts(fig):
    """Every text artist of `fig` that is drawn: visible, not empty, and
    not the label of a tick outside its axis's view."""
    hidden = _hidden_tick_labels(fig)
    return [
        text
        for text in fig.findobj(matplotlib.text.Text)
        if text.get_visible()
        and text.get_text().strip()
        and id(text) not in hidden
        and (text.axes is None or text.axes.get_visible())
    ]


def text_overlaps(fig, tolerance_px=1.0):
    """Pairs `(text_a, text_b)` of text artists whose drawn extents overlap.

    Draws the figure, then compares the window extents of every pair of
    visible texts (ticks outside the axes' view are skipped), shrunk by
    `tolerance_px` so that touching boxes do not count.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for text in _texts(fig):
        try:
            box = text.get_window_extent(renderer)
        except RuntimeError:
            continue
        if box.width <= 0 or box.height <= 0:
            continue
        boxes.append((text.get_text(), box.expanded(1, 1).padded(-tolerance_px)))
    pairs = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if box_a.overlaps(box_b):
                pairs.append((a, b))
    return pairs


def smallest_text_points(fig, shown_px=ARTICLE_PX):
    """The smallest font size of `fig`'s texts, in points, as read when the
    figure is shown `shown_px` CSS pixels wide (at most its natural width:
    96 CSS px per inch)."""
    natural = fig.get_figwidth() * 96
    scale = min(1.0, shown_px / natural)
    sizes = [t.get_fontsize() for t in _texts(fig)]
    return scale * min(sizes) if sizes else None
