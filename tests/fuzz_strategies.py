"""Hypothesis strategies for the fuzz tests: hostile option values and tiny valid shapes."""

from __future__ import annotations

from hypothesis import strategies as st

HOSTILE = [
    "",
    " ",
    "-1",
    "0",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "9" * 40,
    "2**60",
    "10XB",
    "-10MB",
    "MB",
    "1.5.5",
    "=",
    "==",
    ",",
    ":",
    "a=",
    "=1",
    "time=",
    "time=1,time=2",
    "time=-5",
    "time=nan",
    "time=0",
    "time=1e400",
    "[red]x</td><script>",
    "\x1b[31m",
    "a\rb",
    "é☃𝔘",
    "$(touch pwned)",
    "`touch pwned`",
    "; rm -rf x",
    "a|b&c>d",
    "../../../../etc/passwd",
    "/nonexistent/x.zarr",
    "ftp://host/x",
    "http://[::1",
    "file:///nonexistent.zarr",
    "{}",
    "[1,2",
    "null",
    "point-series:",
    "point-series:weight=-1",
    "point-series:weight=nan",
    "point-series:weight=inf",
    "map:weight=0",
    "resample:freq=",
    "resample:freq=-1D",
    "resample:freq=0h",
    "append:every=0h",
    "append:steps=-3",
    "ml-batch:batch=0",
    "region-series:size=1e999",
    "climatology:groupby=nope",
    "full-scan:weight=1,weight=2",
    "nokind",
    "blosc:clevel=99",
    "zstd:level=-100",
    "gzip:level=nan",
    "nocodec",
    "mean",
    "nostat",
    "x" * 5000,
]

hostile = st.sampled_from(HOSTILE) | st.text(max_size=12)

ROLES = ["time", "latitude", "longitude"]


@st.composite
def shapes(draw: st.DrawFn) -> str:
    """A ``--shape`` value: mostly tiny valid shapes, sometimes broken ones."""
    dims = draw(st.lists(st.sampled_from([*ROLES, "level", "x", "é"]), min_size=0, max_size=4))
    sizes = [
        draw(st.integers(1, 64) | st.sampled_from([0, -1, 2**62, 10**30]) | st.just("nan"))
        for _ in dims
    ]
    return ",".join(f"{d}={s}" for d, s in zip(dims, sizes, strict=True))


patterns = (
    st.sampled_from(
        [
            "point-series",
            "map",
            "ml-batch",
            "full-scan",
            "region-series",
            "resample:freq=1D",
            "climatology",
            "append:every=1h",
            "map:weight=2",
        ]
    )
    | hostile
)
sizes = st.sampled_from(["1KB", "10KB", "100B", "1MB", "1GB"]) | hostile
