"""Files and stores, no compute: opening a store, its metadata as a Schema, the catalog, resolving
sources, publishing a finished store or file atomically, and profile files.

It may import :mod:`advisor.plan` and the I/O libraries (xarray, zarr, intake), never
:mod:`advisor.run`.
"""
