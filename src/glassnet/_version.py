"""glassnet's version, on the bottom layer so that model files can record it from anywhere."""

__version__ = "0.1.0"
