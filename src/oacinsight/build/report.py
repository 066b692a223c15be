"""Charts (PNG) and a self-contained HTML report for a classification build."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from oacinsight.build.result import BuildResult

__all__ = ["write_charts", "write_html"]


def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8, 4)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False)
    return plt, fig, axes


def write_charts(result: BuildResult, out: Path) -> list[Path]:
    """``k_diagnostics.png``, ``clustergram.png``, ``sizes.png``, ``index.png``."""
    return [
        _k_chart(result, out / "k_diagnostics.png"),
        _clustergram(result, out / "clustergram.png"),
        _sizes(result, out / "sizes.png"),
        _index(result, out / "index.png"),
    ]


def _k_chart(result: BuildResult, path: Path) -> Path:
    plt, fig, ax = _figure(1, 3, (12, 3.5))
    d = result.diagnostics
    for a, col, title in zip(
        ax[0],
        ("wcss", "silhouette", "calinski_harabasz"),
        ("WCSS (elbow)", "Silhouette (sampled)", "Calinski-Harabasz"),
        strict=True,
    ):
        a.plot(d["k"], d[col], marker="o", color="#1f4e79")
        a.set_title(title)
        a.set_xlabel("k")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _clustergram(result: BuildResult, path: Path) -> Path:
    """Schonlau's clustergram: clusters at each k placed at their mean on the first
    principal component; a line's width is the number of areas moving between them."""
    plt, fig, ax = _figure(1, 1, (8, 4.5))
    g = result.clustergram
    if not g.empty:
        widest = g["moving"].max()
        for _, r in g.iterrows():
            ax[0, 0].plot(
                [r["k"], r["next_k"]],
                [r["pc1_mean"], r["next_pc1_mean"]],
                color="#1f4e79",
                alpha=0.5,
                lw=0.3 + 6 * r["moving"] / widest,
            )
    ax[0, 0].set_xlabel("k")
    ax[0, 0].set_ylabel("cluster mean on the first principal component")
    ax[0, 0].set_title("Clustergram")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _sizes(result: BuildResult, path: Path) -> Path:
    plt, fig, ax = _figure(1, 1, (8, 3.5))
    counts = result.codes["supergroup"].value_counts().sort_index(key=lambda s: s.astype(int))
    ax[0, 0].bar(counts.index.astype(str), counts.to_numpy(), color="#1f4e79")
    ax[0, 0].set_xlabel("supergroup")
    ax[0, 0].set_ylabel("output areas")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _index(result: BuildResult, path: Path) -> Path:
    sup = result.index.loc[[c for c in result.index.index if str(c).isdigit()]]
    n = len(sup)
    cols = 4
    rows = int(np.ceil(n / cols))
    plt, fig, ax = _figure(rows, cols, (16, 3.6 * rows))
    names = list(sup.columns)
    for i, (code, row) in enumerate(sup.iterrows()):
        a = ax[i // cols, i % cols]
        vals = np.log2(np.clip(row.fillna(100).to_numpy(), 1, None) / 100)
        a.barh(range(len(names)), vals, color=np.where(vals >= 0, "#1f4e79", "#c55a11"))
        a.axvline(0, color="black", lw=0.5)
        a.set_yticks(range(len(names)), names, fontsize=5)
        a.set_title(f"Supergroup {code}: index (log2 scale, 0 = average)", fontsize=8)
    for j in range(n, rows * cols):
        ax[j // cols, j % cols].axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def write_html(result: BuildResult, path: Path, charts: list[Path]) -> Path:
    """One offline page: summary, diagnostics, sizes, pen portraits, index, comparison."""
    e = html.escape
    parts = [
        f"<h1>Local classification: {e(result.spec.name)}</h1>",
        f"<pre>{e(result.text())}</pre>",
        "<h2>Choosing k</h2>",
        _img(charts[0]),
        _img(charts[1]),
        result.diagnostics.round(4).to_html(index=False),
        "<h2>Sizes</h2>",
        _img(charts[2]),
        "<h2>Map</h2>",
        _img(path.parent / "map.png") if result.map_png else f"<p>{e(result.map_note)}</p>",
        "<h2>Draft pen portraits</h2><p><strong>Drafts generated from each cluster's "
        "most distinctive variables (index vs the area average); edit the names and "
        "text in <code>names.csv</code> before use.</strong></p>",
        result.portraits.to_html(index=False, escape=True),
        "<h2>Grand index (100 = the area average)</h2>",
        _img(charts[3]),
        result.index.round(0).to_html(na_rep=""),
    ]
    if result.comparison:
        parts.append("<h2>Agreement with the official OAC 2021</h2><ul>")
        for tier, c in result.comparison.items():
            if isinstance(c, dict) and c.get("adjusted_rand_index") is not None:
                parts.append(
                    f"<li>{e(tier)}: adjusted Rand index "
                    f"{c['adjusted_rand_index']:.3f} over {c['areas']} areas</li>"
                )
        parts.append(
            "</ul><p>Cross-tabs and the official groups each cluster draws from are "
            "in <code>comparison.json</code>.</p>"
        )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
        "img{max-width:100%}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 6px}"
    )
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{e(result.spec.name)}</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
