"""Exceptions raised for the library's status codes; each carries the library's message."""


class StasisError(Exception):
    """Base class of every error the library reports. ``status`` is the C status code."""

    status = -1

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(StasisError, ValueError):
    """A bad value: negative count, k <= 0, NaN/Inf, zero vector, unknown factory string..."""

    status = 1


class DimensionMismatchError(StasisError, ValueError):
    """Vectors whose dimension differs from the index's."""

    status = 2


class IncompatibleError(StasisError):
    """Data from another space or model version that cannot be mixed with this one."""

    status = 3


class NotFoundError(StasisError, LookupError):
    """An id that is not in the index."""

    status = 4


class NotTrainedError(StasisError, RuntimeError):
    """The index type needs ``train`` before vectors can be added or searched."""

    status = 5


class StasisIOError(StasisError, OSError):
    """The operating system refused a file operation."""

    status = 6


class CorruptFileError(StasisError):
    """Not a Stasis file of the expected kind, truncated, or failing its checksum."""

    status = 7


class UnsupportedFormatError(StasisError):
    """A file written by a newer Stasis."""

    status = 8


class OutOfMemoryError(StasisError, MemoryError):
    status = 9


class InternalError(StasisError):
    """A bug in Stasis or Faiss."""

    status = 10


class UnsupportedError(StasisError):
    """A valid request this index type or library version does not support."""

    status = 11


class CancelledError(StasisError):
    """A training run stopped by its progress callback; nothing was written or assigned."""

    status = 12


BY_STATUS = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        DimensionMismatchError,
        IncompatibleError,
        NotFoundError,
        NotTrainedError,
        StasisIOError,
        CorruptFileError,
        UnsupportedFormatError,
        OutOfMemoryError,
        InternalError,
        UnsupportedError,
        CancelledError,
    )
}
