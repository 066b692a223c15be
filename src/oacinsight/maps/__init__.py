"""Boundaries and maps: read official boundary files in any CRS, simplify them without
gaps, serve them as GeoJSON, and draw choropleths and static map images.

Modules: :mod:`.crs` (which CRS, and saying why), :mod:`.boundaries` (reading),
:mod:`.geojson` (coverage simplification, GeoJSON), :mod:`.load` (into the store),
:mod:`.choropleth` (values, colours and legends), :mod:`.static` (map images) and
:mod:`.demo` (Demoshire's invented boundaries).  Nothing heavy is imported here.
"""
