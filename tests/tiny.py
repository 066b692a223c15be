"""A hand-made store of a few postcodes in the official formats, for unit tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

NSPL_HEADER = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oa11",
    "cty",
    "ced",
    "laua",
    "ward",
    "hlthau",
    "nhser",
    "ctry",
    "rgn",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "park",
    "lsoa11",
    "msoa11",
    "wz11",
    "ccg",
    "bua11",
    "buasd11",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "stp",
]

# pcds, doterm, oa11, laua, ward, imd
POSTCODES = [
    ("YY1 1AA", "", "E00000001", "E06000001", "E05000001", 100),
    ("YY1 1AB", "", "E00000002", "E06000001", "E05000001", 200),
    ("YY1 1AD", "201001", "E00000001", "E06000001", "E05000001", 100),  # terminated
    ("YY2 1AA", "", "E00000003", "E06000002", "E05000002", 3000),
    ("YY2 1AB", "", "E00999999", "E06000002", "E05000002", 3000),  # old OA, no 2021 code
    ("GY1 1AA", "", "L99999999", "L99999999", "L99999999", 0),
    ("IM1 1AA", "", "M99999999", "M99999999", "M99999999", 0),
    ("YY3 1AA", "", "S00090001", "S12000001", "S13000001", 10),  # Scottish 2011 OA
]
OAC = [("E00000001", 1, "1a", "1a1"), ("E00000002", 3, "3b", "3b2"), ("E00000003", 8, "8a", "8a1")]
LSOA = [("E00000001", "E01000001"), ("E00000002", "E01000001"), ("E00000003", "E01000002")]


def _pcd(pcds: str, width: int) -> str:
    out, inward = pcds.split()
    return f"{out:<{width - 3}}{inward}"


def write_tiny_reference(folder: Path) -> list[Path]:
    """Write an NSPL-format CSV, an OAC parquet, names and an OA->LSOA lookup."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for pcds, doterm, oa, laua, ward, imd in POSTCODES:
        row = dict.fromkeys(NSPL_HEADER, "")
        row.update(
            pcd=_pcd(pcds, 7),
            pcd2=_pcd(pcds, 8),
            pcds=pcds,
            dointr="199001",
            doterm=doterm,
            usertype="0",
            oa11=oa,
            laua=laua,
            ward=ward,
            imd=str(imd),
            lat="53.5",
            long="-2.5",
        )
        rows.append(row)
    nspl = folder / "NSPL_NOV_2021_UK_YY.csv"
    pd.DataFrame(rows, columns=NSPL_HEADER).to_csv(nspl, index=False)
    oac = folder / "oac.parquet"
    pd.DataFrame(OAC, columns=["Geography_Code", "Supergroup", "Group", "Subgroup"]).to_parquet(oac)
    names = folder / "oac_names.csv"
    pd.DataFrame(
        [
            ("1a1", "1a", "1", "Retired Professionals", "Spacious Rural Living", "Sub 1a1"),
            ("3b2", "3b", "3", "Multicultural and Educated Urbanites", "Group 3b", "Sub 3b2"),
            ("8a1", "8a", "8", "Legacy Communities", "Group 8a", "Sub 8a1"),
        ],
        columns=[
            "subgroup",
            "group",
            "supergroup",
            "supergroup_name",
            "group_name",
            "subgroup_name",
        ],
    ).to_csv(names, index=False)
    lsoa = folder / "oa_lsoa.csv"
    pd.DataFrame(LSOA, columns=["OA", "geography_code"]).to_csv(lsoa, index=False)
    return [nspl, oac, names, lsoa]
