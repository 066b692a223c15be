"""The map of a local classification: drawn on the store's output-area boundaries
(Demoshire's, synthetic), or a plain note when none are loaded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.test_web_support import build_demo_store

from oacinsight.build import build_classification
from oacinsight.build.clustermap import NO_BOUNDARIES, PALETTE, cluster_colours
from oacinsight.build.spec import parse_spec
from oacinsight.demo._build import DEMO_SPEC

SPEC = {**DEMO_SPEC, "restarts": [4, 3]}


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    """Demoshire with its OA and ward boundaries, and a build of it."""
    store, _ = build_demo_store(tmp_path_factory.mktemp("mapstore"))
    result = build_classification(
        parse_spec(SPEC, source="t"),
        store,
        area="E06000999",
        k_range_values=[2, 3],
        compare_official=False,
    )
    return store, result, result.write(tmp_path_factory.mktemp("mapbuild") / "b")


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb[:3])


def test_map_of_the_supergroups_on_the_oa_boundaries(bounded):
    import matplotlib.image as mpimg

    _, result, out = bounded
    n = len(result.codes)
    assert result.map_note.startswith(f"map: {n} of the {n} classified output areas drawn from")
    assert result.map_note in result.text()
    image = mpimg.imread(out / "map.png")
    colours = pd.Series([_hex(p) for p in image.reshape(-1, image.shape[-1])]).value_counts()
    # every supergroup is drawn in its own colour; the largest covers the most pixels
    sizes = result.codes["supergroup"].value_counts()
    drawn = {c: int(colours.get(PALETTE[int(c) - 1], 0)) for c in sizes.index}
    assert all(v > 500 for v in drawn.values()), drawn
    assert max(drawn, key=drawn.get) == sizes.idxmax()
    assert "<h2>Map</h2>" in (out / "report.html").read_text()


def test_no_boundaries_no_map_and_said(demo, tmp_path):
    store, _ = demo  # Demoshire without boundary files
    result = build_classification(
        parse_spec(SPEC, source="t"),
        store,
        area="E06000999",
        k_range_values=[2, 3],
        compare_official=False,
    )
    assert result.map_png is None and result.map_note == NO_BOUNDARIES
    out = result.write(tmp_path / "b")
    assert not (out / "map.png").exists()
    assert "no map: the store holds no output-area boundaries" in (out / "report.html").read_text()
    assert NO_BOUNDARIES in result.text()


def test_cluster_colours_share_the_supergroup_hue():
    import colorsys

    tops = ["1", "2", "10"]
    colours = cluster_colours(["1", "2", "10", "1a", "1b", "1c", "10a", "10b"], tops)
    assert colours["1"] == PALETTE[0] and colours["2"] == PALETTE[1] and colours["10"] == PALETTE[2]

    def hue(code):
        return colorsys.rgb_to_hls(*(int(colours[code][i : i + 2], 16) / 255 for i in (1, 3, 5)))

    # groups keep their supergroup's hue (10a under 10, not under 1) and differ in lightness
    assert hue("1a")[0] == pytest.approx(hue("1")[0], abs=0.01)
    assert hue("10b")[0] == pytest.approx(hue("10")[0], abs=0.01)
    lights = [hue(c)[1] for c in ("1a", "1b", "1c")]
    assert lights == sorted(lights) and len(set(lights)) == 3
    groups = ["1a", "1b", "1c", "10a", "10b"]
    assert len({colours[c] for c in groups}) == len(groups)  # distinct within a tier
    assert np.isclose(hue("1b")[1], hue("1")[1])  # the middle sibling is the base colour
