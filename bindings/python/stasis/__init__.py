"""Stasis: upgrade an embedding model without re-encoding the gallery.

Python binding of libstasis (ctypes). See the repository README for the C and Python quick starts.
"""
from ._errors import (
    CancelledError,
    CorruptFileError,
    DimensionMismatchError,
    IncompatibleError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    NotTrainedError,
    OutOfMemoryError,
    StasisError,
    StasisIOError,
    UnsupportedError,
    UnsupportedFormatError,
)
from ._loader import path as library_path
from .encoder import Encoder, inspect_encoder
from .adapter import Adapter, AdapterChain, inspect_adapter
from .gallery import BackfillCurve, BackfillPlan, Gallery, GallerySearchResult, backfill_curve
from .index import Index, SearchResult, inspect
from .evaluate import CompatibilityMetrics, GateResult, Report, RetrievalMetrics, compatibility_metrics, evaluate, retrieval_metrics
from .space import Space, inspect_space
from .train import TrainProgress, train, training_summary
from .library import (
    ABI_VERSION,
    abi_version,
    flat_prefilter_enabled,
    get_num_threads,
    kernel_name,
    set_flat_prefilter,
    set_num_threads,
    set_portable_kernels,
    version,
    version_number,
)

__version__ = version()

__all__ = [
    "Index",
    "SearchResult",
    "inspect",
    "Space",
    "inspect_space",
    "Encoder",
    "inspect_encoder",
    "Adapter",
    "AdapterChain",
    "inspect_adapter",
    "Gallery",
    "GallerySearchResult",
    "BackfillPlan",
    "BackfillCurve",
    "backfill_curve",
    "version",
    "version_number",
    "abi_version",
    "ABI_VERSION",
    "set_num_threads",
    "get_num_threads",
    "set_portable_kernels",
    "set_flat_prefilter",
    "flat_prefilter_enabled",
    "kernel_name",
    "library_path",
    "StasisError",
    "InvalidArgumentError",
    "DimensionMismatchError",
    "IncompatibleError",
    "NotFoundError",
    "NotTrainedError",
    "StasisIOError",
    "CorruptFileError",
    "UnsupportedFormatError",
    "OutOfMemoryError",
    "InternalError",
    "UnsupportedError",
    "retrieval_metrics",
    "RetrievalMetrics",
    "compatibility_metrics",
    "CompatibilityMetrics",
    "evaluate",
    "Report",
    "GateResult",
    "CancelledError",
    "train",
    "TrainProgress",
    "training_summary",
]
