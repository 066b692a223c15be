"""The demo's local classification: Demoshire's output areas clustered on the five
synthetic census tables (cars, tenure, health, communal residents) with the OAC method."""

from __future__ import annotations

from pathlib import Path

from oacinsight.build.spec import parse_spec

__all__ = ["DEMO_SPEC", "run_demo_build"]

#: A small spec over the tables Demoshire has (see demo/_census.py).
DEMO_SPEC = {
    "name": "demoshire",
    "tiers": [4, 2],
    "restarts": [10, 5],
    "seed": 2021,
    "description": "Demoshire: cars, tenure, health and communal residents",
    "variables": [
        {"name": "no_car", "label": "No car or van", "numerator": ["ts0450002"]},
        {
            "name": "cars2",
            "label": "Two or more cars or vans",
            "numerator": ["ts0450004", "ts0450005"],
        },
        {"name": "owned", "label": "Owned", "numerator": ["ts0540002"]},
        {"name": "social", "label": "Social rented", "numerator": ["ts0540007"]},
        {"name": "private", "label": "Private rented", "numerator": ["ts0540010"]},
        {"name": "good_health", "label": "Very good health", "numerator": ["ts0370002"]},
        {
            "name": "bad_health",
            "label": "Bad or very bad health",
            "numerator": ["ts0370005", "ts0370006"],
        },
        {
            "name": "communal",
            "label": "Lives in a communal establishment",
            "numerator": ["ts0010003"],
        },
    ],
}


def run_demo_build(
    store_path: Path, results: Path, lad: str, matched: Path | None = None
) -> dict[str, Path]:
    """Build the classification of the demo district (and, given the ``matched``
    customers, profile them against it); returns the report, codes and profile."""
    from oacinsight.build import build_classification
    from oacinsight.profile.run import profile_file

    spec = parse_spec(DEMO_SPEC, source="demo")
    result = build_classification(spec, store_path, area=lad, k_range_values=list(range(2, 9)))
    out = result.write(results / "local_classification")
    written = {"build_report": out / "report.html", "build_assignments": out / "assignments.csv"}
    if matched is not None:
        profile = profile_file(matched, store=store_path, level="all", classification=out)
        written["profile_local"] = profile.write(results / "profile_local.html")
    return written
