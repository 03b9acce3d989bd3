"""Publishing: the SQLite database built from the papers, and the Datasette site that serves it."""

import importlib
import sys


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite_utils with pandas hidden, unless pandas is loaded already.

    sqlite_utils imports pandas when it is installed (statsmodels brings it), only to map
    ``pandas.Timestamp`` to TEXT, which no table here holds; importing pandas costs most of a
    second, more than a build with nothing to do needs in all. Anything importing pandas later
    gets it as usual.
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` raise ImportError
    try:
        importlib.import_module("sqlite_utils")
    finally:
        del sys.modules["pandas"]


_import_sqlite_utils_without_pandas()
