"""Portfolio CMS: a CV back office and a cached public JSON API in one FastAPI app."""

__version__ = "0.1.0"
