"""The policy: pick the chunk shape that serves the access patterns best within the constraints.

:func:`~advisor.plan.policy.recommend.recommend` scores every candidate
(:mod:`advisor.plan.candidates`) for every pattern (:mod:`advisor.plan.cost`), keeps those
whose size is within the band (``min_size``..``max_size``, and the worker-memory bound:
:mod:`~advisor.plan.policy.band`), and minimises the weighted mean *slowdown*: each
pattern's seconds divided by that pattern's own best within the band
(:mod:`~advisor.plan.policy.search`). Slowdowns are scale-free, so a reduction that reads
the whole array does not drown a point read that takes milliseconds; the weights say how
much each pattern matters.

The result is an immutable :class:`~advisor.plan.policy.results.Recommendation` that also
carries the comparison layouts (:mod:`advisor.plan.references`: current, dask "auto",
zarr's guess, the workflow's hand pick; and each pattern's own optimum), the constraint that
binds and a paste-ready snippet (:mod:`~advisor.plan.policy.snippet`); and what the band
hides: the best layout outside it when that is much faster
(:mod:`~advisor.plan.policy.beyond`), two copies when one layout serves some pattern badly
(:mod:`~advisor.plan.policy.copies`), and what rewriting the current chunks costs
(:class:`~advisor.plan.rechunk.RechunkCost`). With ``shards=True`` the band bounds zarr 3
shards and the inner chunks are sized for the reads (:mod:`~advisor.plan.policy.sharded`).
"""
