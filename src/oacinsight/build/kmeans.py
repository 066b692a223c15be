"""k-means with many restarts, cheaply, and nested tiers (supergroup → group → subgroup).

:class:`ClassificationBuilder` follows the scikit-learn estimator conventions:
keyword-only parameters in ``__init__``, ``fit`` returns ``self``, learned attributes
end in ``_`` (``labels_``, ``cluster_centers_``, ``inertia_``), ``predict`` assigns
new rows to the nearest centre.

Restarts use scikit-learn's :class:`~sklearn.cluster.KMeans` (compiled, multithreaded
Lloyd iterations; k-means++ seeding), one restart per call with an explicit integer
``random_state`` drawn from the builder's seed, so every restart is reproducible and
its WCSS can be recorded.  With ``sample_size`` set (the default for large inputs),
restarts are *screened*: each restart runs on the same random subsample, restarts are
ranked by their WCSS there, and only the ``n_polish`` best are run on to convergence
on the full data from their centres.  See docs/build.md for why and how well.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pandas as pd

from oacinsight.build.prepare import RateTransformer
from oacinsight.build.spec import BuildSpecError

__all__ = ["ClassificationBuilder", "nearest_two"]

Progress = Callable[[int, int], None]

#: Below this many rows k-means runs on one thread.
SMALL = 50_000


class ClassificationBuilder:
    """k-means with screened restarts, keeping the lowest within-cluster sum of squares.

    Parameters
    ----------
    n_clusters : int
        k.
    n_restarts : int
        k-means++ restarts (each with its own seed).
    sample_size : int or None
        Rows per screening restart; ``None`` or ≥ the number of rows runs every
        restart on the full data (plain best-of-n).
    n_polish : int
        Screened restarts run on the full data until no area changes cluster.
    max_iter, tol
        Passed to scikit-learn's KMeans.
    random_state : int
        Seed of the restart seeds.
    n_threads : int or None
        Threads for k-means on large inputs (None: all cores). Inputs under
        ``SMALL`` rows always use one thread: OpenMP start-up costs more than it saves
        there (0.58 s against 0.02 s per restart on 800 areas on a busy 2-core machine).
    progress : callable, optional
        Called with (restarts done, restarts in all).
    preprocessor : RateTransformer, optional
        When given, ``fit`` and ``predict`` take raw rates (one column per variable):
        a copy is fitted on the rates at ``fit`` (``preprocessor_``: the kept
        variables, centre and spread) and new rows go through the same transform and
        standardisation before they are assigned, as in a scikit-learn pipeline.
    """

    def __init__(
        self,
        *,
        n_clusters: int = 8,
        n_restarts: int = 100,
        sample_size: int | None = 2000,
        n_polish: int = 2,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int = 0,
        n_threads: int | None = None,
        progress: Progress | None = None,
        preprocessor: RateTransformer | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_restarts = n_restarts
        self.sample_size = sample_size
        self.n_polish = n_polish
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads
        self.progress = progress
        self.preprocessor = preprocessor

    def _check(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype="float64")
        if x.ndim != 2 or not np.isfinite(x).all():
            raise BuildSpecError("the matrix to cluster must be 2-D and finite")
        if self.n_clusters < 1 or self.n_restarts < 1 or self.n_polish < 1:
            raise BuildSpecError("n_clusters, n_restarts and n_polish must be at least 1")
        if self.n_clusters > len(x):
            raise BuildSpecError(
                f"k = {self.n_clusters} is more than the {len(x)} areas to cluster"
            )
        return x

    def fit(self, x: np.ndarray | pd.DataFrame) -> ClassificationBuilder:
        """Cluster the rows of ``x`` (raw rates when there is a ``preprocessor``); keep
        the restart with the lowest WCSS."""
        from threadpoolctl import threadpool_limits

        if self.preprocessor is not None:
            self.preprocessor_ = copy.deepcopy(self.preprocessor)
            x = self.preprocessor_.fit_transform(x)
        x = self._check(np.asarray(x))
        with threadpool_limits(limits=1 if len(x) < SMALL else self.n_threads, user_api="openmp"):
            return self._fit(x)

    def _fit(self, x: np.ndarray) -> ClassificationBuilder:
        from sklearn.cluster import KMeans

        rng = np.random.RandomState(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=self.n_restarts)
        screen = self.sample_size is not None and self.sample_size < len(x)
        sample = x[np.sort(rng.choice(len(x), self.sample_size, replace=False))] if screen else x
        k = min(self.n_clusters, len(np.unique(sample, axis=0)))
        candidates: list[tuple[float, np.ndarray, int]] = []
        for i, seed in enumerate(seeds):
            km = KMeans(
                n_clusters=k,
                init="k-means++",
                n_init=1,
                max_iter=self.max_iter,
                tol=self.tol,
                random_state=int(seed),
            ).fit(sample)
            candidates.append((float(km.inertia_), km.cluster_centers_, int(seed)))
            if self.progress is not None:
                self.progress(i + 1, self.n_restarts)
        candidates.sort(key=lambda c: c[0])
        self.restart_wcss_ = np.array([c[0] for c in candidates])
        if screen:
            best = None
            for _, centres, _seed in candidates[: self.n_polish]:
                km = KMeans(n_clusters=k, init=centres, n_init=1, max_iter=1000, tol=0.0).fit(x)
                if best is None or km.inertia_ < best.inertia_:
                    best = km
            centres = best.cluster_centers_  # type: ignore[union-attr]
        else:
            centres = candidates[0][1]
        self._finish(x, centres)
        self.n_restarts_ = self.n_restarts
        self.screened_ = screen
        return self

    def _finish(self, x: np.ndarray, centres: np.ndarray) -> None:
        labels, d1, _ = nearest_two(x, centres)
        # Order clusters by size (largest first), ties by first row, so codes are stable.
        counts = np.bincount(labels, minlength=len(centres))
        first = np.array(
            [np.argmax(labels == j) if counts[j] else len(x) for j in range(len(centres))]
        )
        order = np.lexsort((first, -counts))
        remap = np.empty_like(order)
        remap[order] = np.arange(len(order))
        self.cluster_centers_ = centres[order]
        self.labels_ = remap[labels]
        self.inertia_ = float(d1.sum())
        self.n_features_in_ = x.shape[1]

    def predict(self, x: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Index of the nearest centre for each row (rows of raw rates, transformed
        and standardised as at fit, when there is a ``preprocessor``)."""
        if not hasattr(self, "cluster_centers_"):
            raise BuildSpecError("fit the builder before predict")
        if self.preprocessor is not None:
            x = self.preprocessor_.transform(x)
        return nearest_two(np.asarray(x, dtype="float64"), self.cluster_centers_)[0]

    def fit_predict(self, x: np.ndarray | pd.DataFrame) -> np.ndarray:
        return self.fit(x).labels_


def nearest_two(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centre, squared distance to it and to the second nearest (inf if k = 1)."""
    d = (
        np.einsum("ij,ij->i", x, x)[:, None]
        - 2 * x @ centres.T
        + np.einsum("ij,ij->i", centres, centres)[None, :]
    )
    np.maximum(d, 0, out=d)
    labels = d.argmin(axis=1)
    rows = np.arange(len(x))
    d1 = d[rows, labels]
    if centres.shape[0] > 1:
        d[rows, labels] = np.inf
        d2 = d.min(axis=1)
    else:
        d2 = np.full(len(x), np.inf)
    return labels, d1, d2
