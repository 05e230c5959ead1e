"""Computing with Dask: the cluster, the workloads, apply's execution and verification, calibration
and validation measurements, writing the sample data.

It may import :mod:`advisor.plan`, :mod:`advisor.store` and :mod:`advisor.synth`.
"""
