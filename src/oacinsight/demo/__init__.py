"""A synthetic local authority ("Demoshire") in the official ONS file formats.

Used by ``oacinsight demo``, the README quick start and the tests: see
:func:`generate_demo`.
"""

from oacinsight.demo.synth import DemoFiles, generate_demo

__all__ = ["DemoFiles", "generate_demo"]
