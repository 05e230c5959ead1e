"""The synthetic ERA5-like sample's model: pure numpy, apart from writing it.

Four convective fields over East Asia, hourly, on a 0.25° grid. Every value is a
pure function of the seed, the absolute hour and the grid point, so any block of
hours can be generated on its own and blocks join without seams. The model is
documented in ``docs/sample-data.md``:

- :mod:`advisor.synth.grid` — the grid, the variables, the calendar;
- :mod:`advisor.synth.geography` — the land-sea mask and the other static fields;
- :mod:`advisor.synth.weather` — seasons, local time, the moisture front, travelling systems;
- :mod:`advisor.synth.fields` — each variable's field, GRIB quantization, :func:`~advisor.synth.fields.generate_block`.

It imports only numpy, the standard library and :mod:`advisor.plan`;
:mod:`advisor.run.sample` builds the dataset and writes the stores.
"""
