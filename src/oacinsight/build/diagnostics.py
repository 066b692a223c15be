"""Diagnostics for choosing k and describing clusters.

- k range: WCSS (elbow), sampled silhouette, Calinski-Harabasz and clustergram data
  (mean of the first principal component per cluster, Schonlau 2002) for each k, on a
  random sample of at most 10,000 areas.
- grand index: each cluster's mean of every variable's rate ÷ the mean over all the
  areas × 100 (100 = the area average); the basis of the pen portraits.
- comparison with another classification: cross-tab, adjusted Rand index and the
  official groups each new cluster draws from.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from oacinsight.build.kmeans import ClassificationBuilder

__all__ = ["compare", "grand_index", "k_range", "pen_portraits"]


def k_range(
    x: np.ndarray,
    ks: list[int],
    *,
    restarts: int,
    seed: int,
    silhouette_sample: int = 2000,
    max_rows: int = 10000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Diagnostics per k, and clustergram rows ``k, cluster, size, pc1_mean, next_cluster,
    moving``: how many areas of each cluster at k go to each cluster at the next k."""
    from sklearn.metrics import calinski_harabasz_score, silhouette_score

    if len(x) > max_rows:  # a random sample is enough to choose k, and much cheaper
        x = x[np.sort(np.random.RandomState(seed).choice(len(x), max_rows, replace=False))]
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(x) // 20000)], full_matrices=False)
    pc1 = centred @ vt[0]
    rows, gram, previous = [], [], None
    for k in ks:
        if k > len(x) or k < 1:
            continue
        m = ClassificationBuilder(
            n_clusters=k, n_restarts=restarts, sample_size=None, random_state=seed
        ).fit(x)
        sil = ch = np.nan
        if 1 < len(np.unique(m.labels_)) < len(x):
            sil = silhouette_score(
                x, m.labels_, sample_size=min(silhouette_sample, len(x)), random_state=seed
            )
            ch = calinski_harabasz_score(x, m.labels_)
        rows.append(
            {"k": k, "wcss": m.inertia_, "silhouette": float(sil), "calinski_harabasz": float(ch)}
        )
        means = {j + 1: float(pc1[m.labels_ == j].mean()) for j in np.unique(m.labels_)}
        if previous is not None:
            moves = pd.crosstab(previous[0], m.labels_ + 1)
            stacked = moves.stack()  # one count per (cluster, next cluster)
            for (j, nxt), n in zip(stacked.index, stacked.to_numpy().tolist(), strict=True):
                if n:
                    gram.append(
                        {
                            "k": previous[1],
                            "cluster": int(j),
                            "size": int((previous[0] == j).sum()),
                            "pc1_mean": previous[2][j],
                            "next_k": k,
                            "next_cluster": int(nxt),
                            "next_pc1_mean": means[nxt],
                            "moving": int(n),
                        }
                    )
        previous = (m.labels_ + 1, k, means)
    return pd.DataFrame(rows), pd.DataFrame(gram)


def grand_index(rates: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """Cluster mean ÷ overall mean × 100 for every variable (rows: clusters)."""
    overall = rates.mean(axis=0)
    means = rates.groupby(codes.to_numpy()).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        index = means.div(overall.where(overall != 0)) * 100
    index.index.name = "code"
    return index


def pen_portraits(index: pd.DataFrame, labels: dict[str, str], top: int = 3) -> pd.DataFrame:
    """A draft sentence per cluster from its most distinctive variables (highest and
    lowest index), clearly marked as a draft for a person to edit."""
    rows = []
    for code, row in index.iterrows():
        row = row.dropna()
        high = row.sort_values(ascending=False).head(top)
        low = row.sort_values().head(top)
        hi = "; ".join(f"{_label(labels, v)} ({i:.0f})" for v, i in high.items() if i > 100)
        lo = "; ".join(f"{_label(labels, v)} ({i:.0f})" for v, i in low.items() if i < 100)
        text = "DRAFT - edit before use. "
        text += f"More than average: {hi}. " if hi else ""
        text += f"Fewer than average: {lo}." if lo else ""
        rows.append({"code": str(code), "name": f"Cluster {code}", "pen_portrait": text.strip()})
    return pd.DataFrame(rows)


def _label(labels: dict[str, str], variable: Hashable) -> str:
    """The short label of a variable (a column name of the index table)."""
    name = str(variable)
    return _short(labels.get(name, name))


def _short(label: str) -> str:
    """A label without its bracketed note, lower-cased after the first letter."""
    text = label.split(" (")[0]
    return text[:1].lower() + text[1:]


def compare(new: pd.Series, official: pd.Series) -> dict:
    """Adjusted Rand index, cross-tab, and official shares within each new cluster."""
    from sklearn.metrics import adjusted_rand_score

    both = pd.DataFrame(
        {"new": new.astype(str).to_numpy(), "official": official.to_numpy()}
    ).dropna()
    both["official"] = both["official"].astype(str)
    if both.empty:
        return {"areas": 0, "adjusted_rand_index": None, "crosstab": {}, "draws_from": {}}
    tab = pd.crosstab(both["new"], both["official"])
    shares = tab.div(tab.sum(axis=1), axis=0)
    draws = {
        str(c): {
            str(o): round(float(s), 4) for o, s in row.sort_values(ascending=False).items() if s > 0
        }
        for c, row in shares.iterrows()
    }
    return {
        "areas": len(both),
        "adjusted_rand_index": float(adjusted_rand_score(both["official"], both["new"])),
        "crosstab": {str(c): {str(o): int(n) for o, n in row.items()} for c, row in tab.iterrows()},
        "draws_from": draws,
    }
