"""A seeded simulation of interval coverage for the weighted share of one group.

It is how the interval method of ``oacinsight survey`` was chosen (``docs/survey.md``
shows the table) and what the coverage test runs.  Each draw is a group of ``n``
respondents from a population made of two halves with different satisfaction
(``p - d`` and ``p + d``) and different response (the second half answers
``response_ratio`` times as often), so the design weights correlate with the answer, as
in a real survey; each weight also gets log-normal noise (a non-response adjustment).
The truth is the population share ``p``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oacinsight.survey.stats import INTERVAL_METHODS, interval, weighted_share

__all__ = ["coverage"]


def _draw(
    rng: np.random.Generator, n: int, p: float, spread: float, ratio: float, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and answers of ``n`` respondents of one group."""
    half = rng.random(n) < ratio / (1 + ratio)  # in the second half: answers more often
    p_i = np.clip(np.where(half, p + spread, p - spread), 0.0, 1.0)
    y = (rng.random(n) < p_i).astype(float)
    base = np.where(half, 1.0 / ratio, 1.0)  # 1 / response rate
    w = base * rng.lognormal(-(noise**2) / 2, noise, n)
    return w, y


def coverage(
    *,
    seed: int = 11,
    sizes: tuple[int, ...] = (10, 30, 100),
    shares: tuple[float, ...] = (0.15, 0.3, 0.5, 0.7, 0.85),
    draws: int = 1000,
    confidence: float = 0.95,
    spread: float = 0.1,
    response_ratio: float = 2.0,
    noise: float = 0.4,
    methods: tuple[str, ...] = INTERVAL_METHODS,
) -> pd.DataFrame:
    """Coverage and mean width of each interval method, per group size and share.

    Returns
    -------
    pandas.DataFrame
        ``method, n, share, coverage, width`` (one row per method, size and share).
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    rows = []
    for n in sizes:
        for p in shares:
            hits = dict.fromkeys(methods, 0)
            widths = dict.fromkeys(methods, 0.0)
            for _ in range(draws):
                s = weighted_share(*_draw(rng, n, p, spread, response_ratio, noise))
                for m in methods:
                    low, high = interval(s, confidence, m)
                    hits[m] += int(low <= p <= high)
                    widths[m] += high - low
            rows += [(m, n, p, hits[m] / draws, widths[m] / draws) for m in methods]
    return pd.DataFrame(rows, columns=["method", "n", "share", "coverage", "width"])
