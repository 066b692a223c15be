"""Generate "Demoshire": a small synthetic local authority in the official ONS formats.

:func:`generate_demo` writes, from one seed and nothing else:

* a postcode directory in the NSPL November 2021 CSV layout (same 41 columns, the same
  quoting: strings quoted, ``lat``/``long``/``imd`` bare, blank ``doterm`` for live
  postcodes), including terminated postcodes, large users, postcodes pointing at an
  old 2011 OA code and postcodes without a grid reference;
* the 2021 OAC assignment (Parquet) and names (CSV) for the codes used;
* an OA → LSOA lookup and five Census 2021 OA tables with ``Table_Metadata.csv``;
* a messy customer extract and a JSON file with the truth it was built from.

All values are invented (codes in the ``...999...`` ranges, postcode area ``DM``);
only the formats copy the real files.  The same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from oacinsight.demo import _customers as cust
from oacinsight.demo._census import (
    CENSUS_TABLE_IDS,
    TABLE_METADATA_HEADER,
    census_tables,
    table_metadata_rows,
)
from oacinsight.demo._world import LAD_CODE, LAD_NAME, LATLONG_REF, World, layout_world
from oacinsight.oac import SUPERGROUP_NAMES

#: The NSPL November 2021 header, in order.
NSPL_COLUMNS: tuple[str, ...] = (
    "pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m",
    "osgrdind", "oa11", "cty", "ced", "laua", "ward", "hlthau", "nhser", "ctry", "rgn",
    "pcon", "eer", "teclec", "ttwa", "pct", "itl", "park", "lsoa11", "msoa11", "wz11", "ccg",
    "bua11", "buasd11", "ru11ind", "oac11", "lat", "long", "lep1", "lep2", "pfa", "imd",
    "calncv", "stp",
)  # fmt: skip
#: NSPL columns written without quotes (numbers).
NSPL_UNQUOTED = frozenset({"lat", "long", "imd"})
#: Fixed NSPL fields for Demoshire: pseudo codes (``E99999999``) where not applicable,
#: invented ``...999`` codes elsewhere; England / Yorkshire and The Humber for
#: country, region and European electoral region.
NSPL_CONSTANTS: dict[str, str] = {
    "osgrdind": "1", "cty": "E99999999", "ced": "E99999999", "laua": LAD_CODE,
    "hlthau": "E18000999", "nhser": "E40000999", "ctry": "E92000001", "rgn": "E12000003",
    "eer": "E15000003", "teclec": "E24000999", "ttwa": "E30000999", "pct": "E16000999",
    "itl": LAD_CODE, "park": "E99999999", "ccg": "E38000999", "buasd11": "E35999999",
    "lep1": "E37000999", "lep2": "", "pfa": "E23000999", "calncv": "E56000999",
    "stp": "E54000999",
}  # fmt: skip
#: Built-up area code by rural-urban class (``E34999999``: not in a built-up area).
BUA_BY_RU = {"C1": "E34999001", "D1": "E34999002", "E1": "E34999999", "F1": "E34999999"}
OAC_NAMES_HEADER = ("subgroup", "group", "supergroup", "supergroup_name", "group_name",
                    "subgroup_name")  # fmt: skip
LOOKUP_HEADER = ("OA", "geography_code")
NSPL_FILE = "NSPL_NOV_2021_UK_DM.csv"


@dataclass(frozen=True)
class DemoFiles:
    """Where :func:`generate_demo` wrote each file."""

    root: Path
    postcode_directory: Path
    oac_assignment: Path
    oac_names: Path
    oa_lsoa_lookup: Path
    census_dir: Path
    customers: Path
    truth: Path
    reference_files: tuple[Path, ...]


def generate_demo(out_dir: Path, *, seed: int = 2021, n_customers: int = 6000) -> DemoFiles:
    """Write the Demoshire reference files, customer extract and truth.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write into (created if needed; existing demo files are replaced).
    seed : int, default 2021
        Seed of the single random generator (PCG64); same seed, same bytes.
    n_customers : int, default 6000
        Approximate number of customer rows (at least 100).

    Returns
    -------
    DemoFiles
        The paths written.  ``reference_files`` lists everything to ingest.
    """
    if n_customers < 100:
        raise ValueError("n_customers must be at least 100")
    rng = np.random.Generator(np.random.PCG64(seed))
    world = build_world(rng)
    files = _paths(Path(out_dir))
    for folder in {p.parent for p in (*files.reference_files, files.customers, files.truth)}:
        folder.mkdir(parents=True, exist_ok=True)
    _write_nspl(files.postcode_directory, world)
    _write_oac(files.oac_assignment, files.oac_names, world.oas)
    _write_csv(files.oa_lsoa_lookup, LOOKUP_HEADER, world.oas[["oa", "lsoa"]].values.tolist())
    _write_census(files.census_dir, world.census)
    problems = cust.problem_rows(rng, world, n_customers)
    rates = cust.supergroup_rates(world, n_customers - len(problems))
    rows = cust.draw_customers(rng, world, rates)
    cust.mess_up(rng, rows)
    customers = cust.finish(rng, rows + problems)
    _write_csv(
        files.customers,
        cust.CUSTOMER_COLUMNS,
        customers[list(cust.CUSTOMER_COLUMNS)].values.tolist(),
        line_end="\r\n",
    )
    truth = build_truth(seed, n_customers, world, rates, customers)
    files.truth.write_text(_truth_json(truth), encoding="utf-8")
    return files


def build_world(rng: np.random.Generator) -> World:
    """Invent Demoshire's areas, postcodes and census counts from ``rng``."""
    oas, lsoas, postcodes = layout_world(rng)
    return World(oas=oas, lsoas=lsoas, postcodes=postcodes, census=census_tables(rng, oas))


def _paths(root: Path) -> DemoFiles:
    """The file layout under ``root``."""
    ref = root / "reference"
    census = ref / "census2021_oa"
    files = {
        "postcode_directory": ref / "postcodes" / NSPL_FILE,
        "oac_assignment": ref / "oac" / "oac2021_demoshire_oa.parquet",
        "oac_names": ref / "oac" / "oac2021_names.csv",
        "oa_lsoa_lookup": ref / "geography" / "oa21_to_lsoa21_demoshire.csv",
    }
    census_files = [census / f"{t}.parquet" for t in CENSUS_TABLE_IDS]
    return DemoFiles(
        root=root, census_dir=census, customers=root / "customers" / "demoshire_customers.csv",
        truth=root / "truth.json",
        reference_files=(*files.values(), *census_files, census / "Table_Metadata.csv"),
        **files,
    )  # fmt: skip


def _write_csv(path: Path, header: tuple[str, ...], rows: list, line_end: str = "\n") -> None:
    """Write a CSV with minimal quoting (the style of the ONS lookups)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=line_end)
        writer.writerow(header)
        writer.writerows(rows)


def _latlong(east: int, north: int) -> tuple[float, float]:
    """Approximate WGS84 latitude and longitude of a grid reference near Demoshire."""
    e0, n0, lat0, long0 = LATLONG_REF
    lat = lat0 + (north - n0) / 111_200
    return lat, long0 + (east - e0) / (111_320 * math.cos(math.radians(lat0)))


def _nspl_values(pc: pd.Series, area: pd.Series, imd: int) -> dict[str, object]:
    """All NSPL fields of one postcode with areas (live, terminated or old OA)."""
    outward, inward = pc["pcds"].split(" ")
    lat, long = _latlong(int(pc["east"]), int(pc["north"]))
    values: dict[str, object] = dict(NSPL_CONSTANTS)
    values.update({
        "pcd": f"{outward:<4}{inward}", "pcd2": f"{outward:<5}{inward}", "pcds": pc["pcds"],
        "dointr": pc["dointr"], "doterm": pc["doterm"], "usertype": pc["usertype"],
        "oseast1m": f"{int(pc['east']):06d}", "osnrth1m": f"{int(pc['north']):07d}",
        "oa11": pc["oa"], "ward": pc["ward"], "lsoa11": pc["lsoa"], "msoa11": area["msoa"],
        "pcon": "E14999001" if int(area["ward_index"]) < 6 else "E14999002",
        "wz11": "E33" + pc["lsoa"][3:], "bua11": BUA_BY_RU[area["ru11ind"]],
        "ru11ind": area["ru11ind"], "oac11": area["oac11"], "lat": lat, "long": long,
        "imd": imd,
    })  # fmt: skip
    return values


def _nspl_no_grid(pc: pd.Series) -> dict[str, object]:
    """NSPL fields of a postcode without a grid reference: areas blank, lat 99.999999."""
    outward, inward = pc["pcds"].split(" ")
    values: dict[str, object] = dict.fromkeys(NSPL_COLUMNS, "")
    values.update({
        "pcd": f"{outward:<4}{inward}", "pcd2": f"{outward:<5}{inward}", "pcds": pc["pcds"],
        "dointr": pc["dointr"], "doterm": pc["doterm"], "usertype": pc["usertype"],
        "osgrdind": "9", "lat": 99.999999, "long": 0.0, "imd": 0,
    })  # fmt: skip
    return values


def _nspl_line(values: dict[str, object]) -> str:
    """One NSPL CSV line: strings in double quotes, lat/long with 6 decimals, imd bare."""
    out = []
    for col in NSPL_COLUMNS:
        v = values[col]
        if col in ("lat", "long"):
            out.append(f"{float(v):.6f}")  # type: ignore[arg-type]
        elif col in NSPL_UNQUOTED:
            out.append(str(v))
        else:
            out.append(f'"{v}"')
    return ",".join(out) + "\n"


def _write_nspl(path: Path, world: World) -> None:
    """Write the postcode directory in the NSPL November 2021 layout."""
    by_oa = world.oas.set_index("oa")
    by_lsoa = world.oas.groupby("lsoa", sort=True).first()
    imd = world.lsoas.set_index("lsoa")["imd"]
    lines = [",".join(NSPL_COLUMNS) + "\n"]
    for _, pc in world.postcodes.iterrows():
        if pc["kind"] == "no_grid":
            lines.append(_nspl_line(_nspl_no_grid(pc)))
            continue
        area = by_oa.loc[pc["oa"]] if pc["oa"] in by_oa.index else by_lsoa.loc[pc["lsoa"]]
        lines.append(_nspl_line(_nspl_values(pc, area, int(imd[pc["lsoa"]]))))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.writelines(lines)


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write a census frame as Parquet: ``OA`` as string, counts as float64, no index."""
    arrays = [pa.array(frame[c].tolist(), pa.string() if c == "OA" else pa.float64())
              for c in frame.columns]  # fmt: skip
    table = pa.Table.from_arrays(arrays, names=list(frame.columns))
    pq.write_table(table, path, compression="snappy")


def _write_oac(assign_path: Path, names_path: Path, oas: pd.DataFrame) -> None:
    """The OAC assignment (all columns string, like the official file) and its names."""
    table = pa.table({
        "Geography_Code": pa.array(oas["oa"].tolist(), pa.string()),
        "Supergroup": pa.array(oas["supergroup"].tolist(), pa.string()),
        "Group": pa.array(oas["group"].tolist(), pa.string()),
        "Subgroup": pa.array(oas["subgroup"].tolist(), pa.string()),
    })  # fmt: skip
    pq.write_table(table.sort_by("Geography_Code"), assign_path, compression="snappy")
    rows = [
        (sub, sub[:2], sub[0], SUPERGROUP_NAMES[sub[0]], f"Demo group {sub[:2]}",
         f"Demo subgroup {sub}")
        for sub in sorted(set(oas["subgroup"]))
    ]  # fmt: skip
    _write_csv(names_path, OAC_NAMES_HEADER, rows, line_end="\r\n")


def _write_census(folder: Path, census: dict[str, pd.DataFrame]) -> None:
    """Each census table as ``tsNNN.parquet`` plus ``Table_Metadata.csv``."""
    for table_id, frame in census.items():
        _write_parquet(folder / f"{table_id}.parquet", frame)
    _write_csv(folder / "Table_Metadata.csv", TABLE_METADATA_HEADER, table_metadata_rows())


def _index(counts: Mapping[str, float], residents: Mapping[str, float]) -> dict[str, float]:
    """100 × share of ``counts`` / share of ``residents``, per supergroup."""
    c_tot, r_tot = sum(counts.values()), sum(residents.values())
    return {s: round(100 * (counts[s] / c_tot) / (residents[s] / r_tot), 4) for s in residents}


def build_truth(seed: int, n_customers: int, world: World, rates: dict[str, float],
                customers: pd.DataFrame) -> dict[str, object]:  # fmt: skip
    """Everything a test needs to check matching and profiling of the demo data."""
    sg_of = world.oas.set_index("oa")["supergroup"]
    res = world.census["ts001"].set_index("OA")["ts0010001"]
    residents = {str(s): float(v) for s, v in res.groupby(sg_of.reindex(res.index)).sum().items()}
    with_oac = customers[customers["status"].isin(["matched", "matched_terminated"])]
    counts = {s: int((with_oac["supergroup"] == s).sum()) for s in sorted(residents)}
    kinds = world.postcodes["kind"].value_counts()
    return {
        "seed": seed, "n_customers_requested": n_customers, "n_rows": len(customers),
        "local_authority": {"code": LAD_CODE, "name": LAD_NAME},
        "geography": {
            "wards": int(world.oas["ward"].nunique()), "lsoas": len(world.lsoas),
            "oas": len(world.oas), "postcodes": len(world.postcodes),
            "postcodes_by_kind": {k: int(kinds.get(k, 0))
                                  for k in ("live", "terminated", "old_oa", "no_grid")},
            "postcodes_usertype_1": int((world.postcodes["usertype"] == "1").sum()),
            "old_oa_codes": sorted(set(world.postcodes.loc[
                world.postcodes["kind"] == "old_oa", "oa"])),
        },
        "oas_by_supergroup": {s: int(v) for s, v in sg_of.value_counts().sort_index().items()},
        "residents_by_supergroup": residents,
        "rates_per_resident": rates,
        "expected_index_by_supergroup": _index({s: rates[s] * residents[s] for s in residents},
                                               residents),
        "customers_with_oac_by_supergroup": counts,
        "observed_index_by_supergroup": _index(counts, residents),
        "messy_share": cust.MESSY_SHARE,
        "row_kinds": {k: int(v) for k, v in customers["kind"].value_counts().sort_index().items()},
        "expected_status": {s: int((customers["status"] == s).sum()) for s in cust.STATUSES},
        "special_cells": _special_cells(customers),
        "rows": _truth_rows(customers),
    }  # fmt: skip


def _truth_rows(customers: pd.DataFrame) -> list[list[str | None]]:
    """``[record_id, kind, status, oa, supergroup]`` per customer row, in file order."""
    cols = ["record_id", "kind", "status", "oa", "supergroup"]
    return [[v if isinstance(v, str) else None for v in row]
            for row in customers[cols].itertuples(index=False)]  # fmt: skip


def _special_cells(customers: pd.DataFrame) -> dict[str, object]:
    """Record ids of the formula-like cells and the count of non-ASCII notes."""
    notes = customers.set_index("record_id")["name_note"]
    return {
        "formula_record_ids": sorted(notes[notes.str[:1].isin(list("=+-@"))].index),
        "non_ascii_name_notes": int((~notes.map(str.isascii)).sum()),
        "name_notes_with_comma": int(notes.str.contains(",", regex=False).sum()),
    }


def _truth_json(truth: dict[str, object]) -> str:
    """Pretty JSON with one line per customer row."""
    rows = truth["rows"]
    if not isinstance(rows, list):
        raise TypeError("truth['rows'] must be a list of rows")
    head = json.dumps({**truth, "rows": "__ROWS__"}, indent=2, ensure_ascii=False)
    body = ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in rows)
    return head.replace('"__ROWS__"', "[\n" + body + "\n  ]") + "\n"
