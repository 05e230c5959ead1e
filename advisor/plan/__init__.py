"""The pure planning core: schema, patterns, profile values, codec specs, candidates, the cost
model, the policy that recommends, the rechunk model, the apply plan, validation planning and the
calibration fit.

It imports the standard library, numpy and ``advisor.plan`` only: no file, store, network or Dask.
The layers above resolve sources and profile files and hand it a :class:`~advisor.plan.schema.Schema`
and a :class:`~advisor.plan.profile.StorageProfile`.
"""
