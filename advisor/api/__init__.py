"""The public functions, one module per command: each resolves what the user named (a store path
or catalog entry, a profile name or file, a cluster address) and calls the pure core
(:mod:`advisor.plan`) and the runners (:mod:`advisor.run`).

``import advisor`` exposes them lazily (``advisor.recommend``, ``advisor.apply``,
``advisor.calibrate``, ``advisor.validate``); this package re-exports nothing, so that each name
has one import path and ``advisor.api.recommend`` stays the module.
"""
