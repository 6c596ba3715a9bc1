"""Public data: catalog, install, readers and gene-id mapping."""

from .bulk import drug_names, load_bulk, waterfall_threshold
from .catalog import Dataset, datasets, get
from .errors import DataError
from .install import install, is_installed
from .single_cell import read_single_cell

__all__ = ["DataError", "Dataset", "datasets", "drug_names", "get", "install", "is_installed", "load_bulk", "read_single_cell",
           "waterfall_threshold"]
