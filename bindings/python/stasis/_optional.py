"""Imports of optional engines (Ray, Milvus) with an error that names the extra to install.

``stasis`` itself needs only numpy; ``stasis.ray`` and ``stasis.milvus`` import their engine when
they are imported themselves, so a plain ``import stasis`` never pays for (or fails on) them.
"""
import importlib


def require(module, extra, feature):
    """Imports ``module`` or raises ImportError naming ``pip install 'stasis[extra]'``.

    ``feature`` is the Stasis module asking (e.g. "stasis.ray"), so the message says who needs
    what. The original ImportError is chained for diagnosis (a broken install, not a missing one)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{feature} needs the optional package '{module}', which is not installed: "
            f"pip install 'stasis[{extra}]'") from error
