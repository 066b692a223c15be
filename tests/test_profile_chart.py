"""The index chart and the HTML page that embeds it."""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from oacinsight.errors import OacInsightError
from oacinsight.oac import SUPERGROUP_NAMES, colour_for
from oacinsight.profile import ProfileResult, compute_profile, plot_profile, save_figure

CODES = list(SUPERGROUP_NAMES)


def _counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": "supergroup",
            "code": CODES,
            "name": [SUPERGROUP_NAMES[c] for c in CODES],
            "parent": None,
            "customers": [120, 300, 5, 410, 95, 260, 180, 90],
            "base": [9000, 21000, 3000, 14000, 0, 22000, 8000, 9000],
        }
    )


@pytest.fixture
def result() -> ProfileResult:
    return ProfileResult.from_counts(
        _counts(),
        level="supergroup",
        base_name="residents (Census 2021 TS001)",
        areas=[("E06000019", "Herefordshire, County of")],
        n_input=1500,
        n_matched=1400,
        n_in_area=1365,
        unmatched={"not_found": 100},
    )


def _bars(fig: Figure) -> list:
    return [
        bar for ax in fig.axes for c in ax.containers if isinstance(c, BarContainer) for bar in c
    ]


def test_one_bar_per_row_and_line_at_100(result: ProfileResult) -> None:
    fig = plot_profile(result)
    assert isinstance(fig, Figure)
    bars = _bars(fig)
    assert len(bars) == len(result.table) == 8
    ax = fig.axes[0]
    assert any(
        len(line.get_xdata()) == 2 and np.allclose(line.get_xdata(), [100, 100])
        for line in ax.get_lines()
    )
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1 Retired Professionals"
    assert labels[3].startswith("4 Low-Skilled Migrant")


def test_bars_show_published_numbers_only(result: ProfileResult) -> None:
    fig = plot_profile(result)
    bars = _bars(fig)
    flags = result.table["flag"].tolist()
    assert flags[2] == "suppressed" and flags[4] == "no_base"
    for bar, flag, (_, row) in zip(bars, flags, result.table.iterrows(), strict=True):
        if flag in ("suppressed", "no_base"):
            assert bar.get_width() == 0
        else:
            assert bar.get_width() == pytest.approx(row["index"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("suppressed (<10)") == flags.count("suppressed")
    assert any(t.startswith("no base") for t in texts)
    # bars coloured by supergroup; the supergroup 4 bar is significant (opaque)
    assert bars[3].get_facecolor()[:3] == pytest.approx(
        tuple(int(colour_for("4")[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )


def test_all_levels_give_one_panel_per_level() -> None:
    counts = pd.DataFrame(
        [
            ("supergroup", "1", "S1", None, 60, 4000),
            ("supergroup", "2", "S2", None, 40, 6000),
            ("group", "1a", "G1a", "1", 20, 1000),
            ("group", "1b", "G1b", "1", 40, 3000),
            ("group", "2a", "G2a", "2", 40, 6000),
        ],
        columns=["level", "code", "name", "parent", "customers", "base"],
    )
    fig = plot_profile(compute_profile(counts), title="Both tiers")
    assert len(fig.axes) == 2
    assert len(_bars(fig)) == 5
    assert fig.axes[0].get_title(loc="left") == "Supergroups"


def test_writes_png_and_svg(result: ProfileResult, tmp_path) -> None:
    png = save_figure(plot_profile(result), tmp_path / "chart.png")
    svg = result.write(tmp_path / "chart.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text() and svg.stat().st_size > 10_000
    assert result.write(tmp_path / "via_result.png").stat().st_size > 10_000
    with pytest.raises(OacInsightError, match="cannot save a chart"):
        save_figure(plot_profile(result), tmp_path / "chart.gif")


def test_no_pyplot_state(result: ProfileResult) -> None:
    plot_profile(result)
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []


def test_plot_rejects_other_things() -> None:
    with pytest.raises(OacInsightError, match="ProfileResult or a profile table"):
        plot_profile([1, 2, 3])
    with pytest.raises(OacInsightError, match="missing"):
        plot_profile(pd.DataFrame({"code": ["1"]}))


def test_html_is_standalone_and_escaped(tmp_path) -> None:
    counts = _counts()
    counts.loc[0, "name"] = "<script>alert('x')</script> --> <b>"
    result = ProfileResult.from_counts(
        counts,
        level="supergroup",
        base_name="<i>residents</i>",
        areas=[("A", "B & C")],
        n_input=10,
        n_matched=10,
        n_in_area=10,
        unmatched={},
    )
    html = result.write(tmp_path / "p.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script" not in html and "<i>residents" not in html
    assert "&lt;i&gt;residents&lt;/i&gt;" in html and "B &amp; C" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "url(http" not in html and "<?xml" not in html
