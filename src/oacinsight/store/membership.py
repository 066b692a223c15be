"""Which local authority, ward and region each output area belongs to, as SQL.

Used by :mod:`.areas` and :mod:`.profiles` (kept apart from both so neither imports
the other).
"""

from __future__ import annotations

from oacinsight.store import Store

_OFFICIAL = """
SELECT oa,
  min(target_code) FILTER (WHERE target_type = 'lad') AS lad,
  min(target_code) FILTER (WHERE target_type = 'ward') AS ward,
  min(target_code) FILTER (WHERE target_type = 'region') AS region
FROM oa_links WHERE target_type IN ('lad', 'ward', 'region') GROUP BY oa
"""
_NO_OFFICIAL = (
    "SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lad, NULL::VARCHAR AS ward, "
    "NULL::VARCHAR AS region WHERE false"
)
_MAJORITY_NONE = (
    "SELECT NULL::VARCHAR AS oa, NULL::VARCHAR AS lad, NULL::VARCHAR AS ward, "
    "NULL::VARCHAR AS region, NULL::VARCHAR AS country, "
    "NULL::VARCHAR AS lad_source, NULL::VARCHAR AS ward_source WHERE false"
)
_LAD_REGION = (
    "SELECT laua AS lad, mode(rgn) AS region FROM postcodes "
    "WHERE laua IS NOT NULL AND rgn IS NOT NULL GROUP BY 1"
)
_NO_LAD_REGION = "SELECT NULL::VARCHAR AS lad, NULL::VARCHAR AS region WHERE false"
_MEMBERSHIP = """
WITH o AS ({official}), m AS ({majority}), lr AS ({lad_region})
SELECT coalesce(o.oa, m.oa) AS oa,
  coalesce(o.lad, m.lad) AS lad, coalesce(o.ward, m.ward) AS ward,
  coalesce(o.region, lr.region, m.region) AS region,
  coalesce(m.country, CASE WHEN coalesce(o.oa, m.oa) LIKE 'E%' THEN 'E92000001'
                           WHEN coalesce(o.oa, m.oa) LIKE 'W%' THEN 'W92000004' END) AS country,
  CASE WHEN o.lad IS NOT NULL THEN 'official lookup' ELSE m.lad_source END AS lad_source,
  CASE WHEN o.ward IS NOT NULL THEN 'official lookup' ELSE m.ward_source END AS ward_source,
  CASE WHEN o.region IS NOT NULL THEN 'official lookup'
       WHEN lr.region IS NOT NULL THEN 'official lookup (district), region of the district'
       WHEN m.region IS NOT NULL THEN 'postcode majority' END AS region_source
FROM o FULL JOIN m ON m.oa = o.oa
LEFT JOIN lr ON lr.lad = o.lad
"""


def membership_sql(store: Store) -> str:
    """SQL giving each output area's local authority, ward, region and country, and how
    each was decided: ``oa, lad, ward, region, country, lad_source, ward_source,
    region_source``.

    An official OA lookup (``oa_links``) wins wherever it names the area, for every OA it
    holds, with or without postcodes in the loaded directory; otherwise the postcode
    majority of ``oa_areas``.  An OA placed in a district by the official lookup takes
    the region of that district from the postcode directory (districts nest in regions).
    """
    links = store.has_table("oa_links")
    has_pc = store.has_table("postcodes")
    return _MEMBERSHIP.format(
        official=_OFFICIAL if links else _NO_OFFICIAL,
        majority="SELECT * FROM oa_areas" if store.has_table("oa_areas") else _MAJORITY_NONE,
        lad_region=_LAD_REGION if links and has_pc else _NO_LAD_REGION,
    )
