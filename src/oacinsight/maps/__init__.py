"""Boundaries and maps: read official boundary files in any CRS, simplify them without
gaps, serve them as GeoJSON, and draw choropleths and static map images.

Modules: :mod:`.crs` (which CRS, and saying why), :mod:`.boundaries` (reading),
:mod:`.geojson` (coverage simplification, GeoJSON),
:mod:`.choropleth` (values, colours and legends) and :mod:`.static` (map images).
Loading boundary files into the store is ingest's (:mod:`oacinsight.ingest.boundaries`);
Demoshire's invented boundaries are the demo's (:mod:`oacinsight.demo.boundaries`).
:mod:`.load` and :mod:`.demo` are deprecated aliases of those.  Nothing heavy is
imported here.
"""
