"""Wheel tagging only; everything else is in pyproject.toml.

A wheel that carries libstasis.so (scripts/wheel.sh copies it into stasis/) holds native code for
one platform, so it must not be tagged py3-none-any: it is a platlib wheel tagged
py3-none-<platform> (any Python 3, since ctypes needs no compiled extension) and `auditwheel
repair` then narrows the platform to a manylinux tag. Without the library next to the package the
wheel stays pure, as before.
"""
import os

from setuptools import setup
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
except ImportError:  # older setuptools: the `wheel` package's command
    from wheel.bdist_wheel import bdist_wheel

_carries_library = os.path.isfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "stasis", "libstasis.so"))


class _NativeDistribution(Distribution):
    """Declares native content, so the files install into platlib and the wheel is not pure."""

    def has_ext_modules(self):
        return True


class _PlatformWheel(bdist_wheel):
    """Tags the wheel for any Python 3 on this platform: the binary is a library loaded with
    ctypes, not an extension module tied to one interpreter's ABI."""

    def get_tag(self):
        _python, _abi, platform = super().get_tag()
        return "py3", "none", platform


if _carries_library:
    setup(distclass=_NativeDistribution, cmdclass={"bdist_wheel": _PlatformWheel})
else:
    setup()
