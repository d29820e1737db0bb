"""Fuzz targets for every importer; run them with ``make fuzz`` (see fuzz/README.md)."""
