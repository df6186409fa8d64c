"""Market data providers behind one interface (see ``base.Provider``)."""

from ml.data.providers.base import Fetched, Provider, Query
from ml.data.providers.samples import SampleProvider
from ml.data.providers.yahoo import YahooProvider

__all__ = ["Fetched", "Provider", "Query", "SampleProvider", "YahooProvider"]
