"""Designer BFF: an AI design partner for fashion designers."""

__version__ = "0.1.0"
