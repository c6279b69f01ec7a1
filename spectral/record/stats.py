"""The statistics every verdict uses: a t interval of a mean and a
percentile-bootstrap interval of a median (`scipy.stats`)."""

import numpy as np


def t_interval(values, confidence=0.95):
    """Mean and two-sided t confidence interval of `values`.

    Returns `(mean, (low, high))`; the interval is None for fewer than two
    values.
    """
    from scipy import stats

    values = np.asarray(values, float)
    mean = float(values.mean()) if values.size else float("nan")
    if values.size < 2:
        return mean, None
    if np.all(values == values[0]):  # no spread: the interval is the mean
        return mean, (mean, mean)
    low, high = stats.t.interval(
        confidence, values.size - 1, loc=mean, scale=stats.sem(values)
    )
    if not np.isfinite(low):  # all values equal
        low = high = mean
    return mean, (float(low), float(high))


def median_interval(values, confidence=0.95, seed=0):
    """Median and percentile-bootstrap interval of the median.

    Uses `scipy.stats.bootstrap` (9,999 resamples); None for fewer than
    two distinct values.
    """
    from scipy import stats

    values = np.asarray(values, float)
    median = float(np.median(values)) if values.size else float("nan")
    if values.size < 2 or np.all(values == values[0]):
        return median, None if values.size < 2 else (median, median)
    result = stats.bootstrap(
        (values,),
        np.median,
        confidence_level=confidence,
        n_resamples=9999,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return median, (float(interval.low), float(interval.high))


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.record.stats"))
