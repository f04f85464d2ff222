"""Custom data types qclocal can read: ``Fred`` (FRED series, visible from their release date)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qclocal.data import fred
from qclocal.engine.data_types import BaseData
from qclocal.engine.lean_api import lean_type


@lean_type("QuantConnect.Python.PythonData")
class PythonData(BaseData):
    """User-defined custom data. qclocal has no reader for arbitrary ``get_source``/``reader`` pairs."""

    @classmethod
    def qclocal_read(cls, data_folder: Path, ticker: str) -> pd.Series:
        raise NotImplementedError(f"PythonData subclass {cls.__name__}: qclocal does not run custom get_source/"
                                  f"reader methods; use Fred or an imported series")


@lean_type("QuantConnect.DataSource.Fred")
class Fred(BaseData):
    """A FRED series by id (``add_data(Fred, "INDPRO")``); each value appears once it has been published."""

    @classmethod
    def qclocal_read(cls, data_folder: Path, ticker: str) -> pd.Series:
        path = fred.series_path(data_folder, ticker)
        if not path.is_file():
            raise FileNotFoundError(
                f"no FRED data for {ticker.upper()}: {path} does not exist. Create it with "
                f"`qclocal data import --source <folder> --tickers {ticker.upper()}` or `qclocal data generate sectors`.")
        return fred.read_fred(data_folder, ticker)
