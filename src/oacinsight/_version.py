"""The package version, in one small module that imports nothing.

Modules that stamp outputs with the version import it from here
(``from oacinsight._version import __version__``), not from the package root, so
they do not depend on the root's lazy re-exports.  Keep in step with pyproject.toml.
"""

__version__ = "0.1.0"
