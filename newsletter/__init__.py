"""Write, preview and send public-sector newsletters from YAML issue files."""

__version__ = "0.1.0"
