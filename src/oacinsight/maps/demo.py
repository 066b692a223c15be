"""Deprecated alias: Demoshire's boundaries live in :mod:`oacinsight.demo.boundaries`.

Kept so older imports keep working; import from :mod:`oacinsight.demo.boundaries`.
"""

from oacinsight.demo.boundaries import (
    OA_FILE,
    WARD_FILE,
    demo_oa_polygons,
    oa_centres,
    write_demo_boundaries,
)

__all__ = ["OA_FILE", "WARD_FILE", "demo_oa_polygons", "oa_centres", "write_demo_boundaries"]
