"""Text in, evidence records out: parsers, the spaCy pipeline and its rule components."""

__version__ = "0.1.0"
