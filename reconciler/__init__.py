"""spectrum-reconciler: a GitOps reconciler for Cloudflare Spectrum applications.

The version has one source, ``version`` in ``pyproject.toml``; ``__version__`` reads it from
the installed package's metadata when first asked for (``importlib.metadata``), so importing
the package costs no metadata scan.
"""

from __future__ import annotations

DISTRIBUTION = "spectrum-reconciler"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'reconciler' has no attribute {name!r}")


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree on sys.path, never installed
        return "0+unknown"
