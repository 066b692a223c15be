"""``oacinsight demo``: build a store from Demoshire and run the main jobs end to end."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from oacinsight.demo._world import LAD_CODE, LAD_NAME
from oacinsight.demo.synth import DemoFiles, generate_demo

#: The ward profiled by the demo (named "Abbey" in the demo's ward names file).
DEMO_WARD = "E05999001"
WARD_NAMES = (
    "Abbey",
    "Bridgefield",
    "Castle",
    "Dalebank",
    "Eastmoor",
    "Fairview",
    "Greenhill",
    "Highgate",
    "Kingsway",
    "Lowmoor",
    "Millbrook",
    "Northgate",
    "Oakwood",
    "Parkside",
)


@dataclass
class DemoRun:
    """What the demo wrote, and the numbers to show."""

    out_dir: Path
    store: Path
    files: DemoFiles
    outputs: dict[str, Path] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None  # true vs estimated index per supergroup

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(k, str(v)) for k, v in self.outputs.items()], columns=["output", "path"]
        )


def write_area_names(files: DemoFiles) -> list[Path]:
    """Name files in the official ``LADnnCD,LADnnNM`` / ``WDnnCD,WDnnNM`` layout."""
    folder = files.root / "reference" / "names"
    folder.mkdir(parents=True, exist_ok=True)
    wards = sorted(
        pd.read_csv(files.postcode_directory, dtype=str, usecols=["ward"])["ward"].dropna().unique()
    )
    wards = [w for w in wards if w.startswith("E05")]
    la = folder / "LA_UA names and codes UK as at 04_21.csv"
    wd = folder / "Ward names and codes UK as at 05_21.csv"
    _write(la, ["LAD21CD", "LAD21NM"], [[LAD_CODE, LAD_NAME]])
    _write(
        wd,
        ["WD21CD", "WD21NM"],
        [[w, WARD_NAMES[i % len(WARD_NAMES)]] for i, w in enumerate(wards)],
    )
    return [la, wd]


def _boundaries(files: DemoFiles, ward_names: Path) -> list[Path]:
    """Demoshire's invented OA and ward boundaries (for the maps)."""
    from oacinsight.demo.boundaries import write_demo_boundaries

    names = dict(pd.read_csv(ward_names, dtype=str).itertuples(index=False, name=None))
    return write_demo_boundaries(files, names)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def run_demo(
    out_dir: str | Path = "oacinsight-demo",
    *,
    seed: int = 2021,
    n_customers: int = 6000,
    progress: Callable[[str], None] | None = None,
) -> DemoRun:
    """Generate Demoshire, ingest it into ``out_dir/store.duckdb``, match and profile.

    Returns
    -------
    DemoRun
        Paths of every output, and the true against the estimated index.
    """
    from oacinsight.ingest import ingest
    from oacinsight.match import match_file
    from oacinsight.profile.run import profile_file
    from oacinsight.store import Store

    say = progress or (lambda _m: None)
    out = Path(out_dir)
    say(f"writing the synthetic Demoshire files to {out}/")
    files = generate_demo(out, seed=seed, n_customers=n_customers)
    names = write_area_names(files)
    names += _boundaries(files, names[1])
    store_path = out / "store.duckdb"
    store_path.unlink(missing_ok=True)
    say("loading them into the store (as a council would load the ONS downloads)")
    with Store(store_path) as s:
        ingest([*files.reference_files, *names], s)
    run = DemoRun(out, store_path, files)
    results = out / "results"
    results.mkdir(exist_ok=True)
    say("matching the customer extract")
    run.outputs["matched"] = results / "matched_customers.csv"
    run.outputs["match_report"] = results / "match_report.json"
    match_file(
        files.customers,
        run.outputs["matched"],
        store=store_path,
        report=run.outputs["match_report"],
    )
    say("profiling the customers against the residents")
    prof = profile_file(run.outputs["matched"], store=store_path, level="supergroup")
    for suffix in ("csv", "xlsx", "json", "html", "png"):
        run.outputs[f"profile_{suffix}"] = prof.write(results / f"profile_supergroup.{suffix}")
    run.outputs["profile_all_levels"] = profile_file(
        run.outputs["matched"], store=store_path, level="all"
    ).write(results / "profile_all.csv")
    run.comparison = _compare(prof.table, files.truth)
    say("comparing services and quarters side by side (profile --by service, --period)")
    by = profile_file(run.outputs["matched"], store=store_path, by="service")
    run.outputs["profile_by_service"] = by.write(results / "profile_by_service.html")
    per = profile_file(run.outputs["matched"], store=store_path, period="contact_date",
                       freq="quarter")  # fmt: skip
    run.outputs["profile_by_quarter"] = per.write(results / "profile_by_quarter.html")
    say("profiling a demo ward: OAC mix, deprivation, indicators, comparators (one-page PDF)")
    run.outputs.update(_ward_profile(store_path, results))
    say("analysing a synthetic resident survey by OAC supergroup (weighted)")
    from oacinsight.demo._survey import run_demo_survey

    run.outputs.update(run_demo_survey(files, store_path, results, seed=seed))
    say("areas of likely need: expected demand, take-up gaps against claimants, targets")
    from oacinsight.demo._need import run_demo_need

    run.outputs.update(run_demo_need(run.outputs["matched"], store_path, results, seed=seed))
    say("building a local classification of Demoshire with the OAC method")
    from oacinsight.demo._build import run_demo_build

    run.outputs.update(run_demo_build(store_path, results, LAD_CODE, run.outputs["matched"]))
    return run


def _ward_profile(store_path: Path, results: Path) -> dict[str, Path]:
    """The area profile of Demoshire's first ward, as ``oacinsight area`` writes it."""
    from oacinsight.areas import profile_area

    written = profile_area(DEMO_WARD, store=store_path).write_folder(results / "ward_profile")
    return {
        "ward_profile_pdf": written["pdf"],
        "ward_profile_html": written["html"],
        "ward_profile_xlsx": written["xlsx"],
    }


def _compare(table: pd.DataFrame, truth_path: Path) -> pd.DataFrame:
    truth = json.loads(truth_path.read_text())["expected_index_by_supergroup"]
    t = table[table["level"] == "supergroup"].set_index("code")
    rows = [
        (
            code,
            t.loc[code, "name"],
            float(truth[code]),
            float(t.loc[code, "index"]),
            float(t.loc[code, "index_low"]),
            float(t.loc[code, "index_high"]),
        )
        for code in sorted(truth)
        if code in t.index
    ]
    return pd.DataFrame(
        rows, columns=["code", "name", "true_index", "index", "index_low", "index_high"]
    )
