"""The cost model: what each candidate chunk shape costs each access pattern.

- :mod:`advisor.plan.cost.geometry`: the chunks and bytes one access touches, in closed
  form (exact expectations under the access model of :mod:`advisor.plan.patterns`), and
  the shards it wants whole.
- :mod:`advisor.plan.cost.flox`: where calendar groups fall on time chunks and the method
  flox picks for a grouped reduction, with its tasks and intermediate bytes.
- :mod:`advisor.plan.cost.scores`: seconds per access under a storage profile
  (:func:`~advisor.plan.cost.scores.score`), linear in the profile's rates.

100,000 candidates score in tens of milliseconds (a few hundred with calendar groups,
whose evidence is vectorised too).
"""
