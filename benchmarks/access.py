"""Access: each read pattern on each chunking of the hourly sample.

One timed call is one access of the pattern as the advisor's cost model sees
it (:func:`advisor.run.workloads.draw_accesses`, run by
:func:`advisor.run.workloads.run_access`) on CAPE, so the measured seconds compare
with the predicted ones: a point's full series, a 16 x 16 box's series, one
map, one ML patch of 32 x 16 x 16, or the time mean of the whole variable.
Interactive reads open the store with :func:`advisor.run.workloads.open_for_reads`
(zarr-python, no Dask) and read at places drawn anew before every timed call
from a seeded generator; the full scan runs on Dask under the benchmarks'
client. Every copy holds the same values with the same codec (Blosc zstd 3,
byte shuffle, zarr format 3); only the chunks differ.

:class:`S3Access` times the same accesses (the same draws, the same
workload functions) on the same copies uploaded to a real S3 API: moto's
server on 127.0.0.1 with :data:`S3_LATENCY` per request
(:class:`benchmarks.s3server.S3Server`), read through
``open_for_reads("s3://...")`` with the standard AWS variables pointing at it.
asv forks a process per benchmark and runs ``setup_cache`` in a process of its
own, so the server cannot outlive ``setup_cache``: the first ``setup`` of each
benchmark process starts it in that process (a thread) and uploads the copy;
later ``setup`` calls of the process reuse both (:func:`s3_copy`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.plan.patterns import parse_pattern
from advisor.run import workloads

from .cache import layout_store, sample_store
from .cluster import client
from .layouts import LAYOUTS, MIX, layout_chunks, schema_of
from .suite import Interactive, skip

if TYPE_CHECKING:
    from .s3server import S3Server

# moto's server and s3fs take about 2 s to import: import them once in the process
# asv forks the benchmark processes from, not in each of them (see benchmarks/__init__.py).
with contextlib.suppress(ImportError):
    import boto3  # noqa: F401
    import moto.server  # noqa: F401
    import s3fs  # noqa: F401
    import werkzeug.serving  # noqa: F401

VARIABLE = "cape"
"""The variable every access reads."""

DRAWS = 1000
"""Accesses drawn per benchmark process; the timed calls take them in turn."""


@cache
def _accesses(pattern: str, path: Path) -> Iterator[dict[str, slice]]:
    """This process's endless, seeded sequence of ``pattern``'s accesses to the store at ``path``."""
    drawn = workloads.draw_accesses(parse_pattern(pattern), schema_of(path), DRAWS, seed=0)
    return itertools.cycle(drawn)


class Access(Interactive):
    """Seconds per access: point series, region series, map, ML patch and full scan x chunking."""

    params = (list(MIX), list(LAYOUTS))
    param_names = ("pattern", "layout")
    min_run_count = 1
    timeout = 600

    def setup_cache(self) -> dict[tuple[str, str], str]:
        schema = schema_of(sample_store())
        return {
            (pattern, layout): str(layout_store(layout_chunks(layout, schema, pattern)))
            for pattern in MIX
            for layout in LAYOUTS
        }

    def setup(self, stores: dict[tuple[str, str], str], pattern: str, layout: str) -> None:
        path = Path(stores[pattern, layout])
        self.pattern = parse_pattern(pattern)
        self.schema = schema_of(path)
        if pattern == "full-scan":
            client()
            self.ds = workloads.open_for_compute(path)
        else:
            self.ds = workloads.open_for_reads(path)
        self.access = next(_accesses(pattern, path))

    def time_read(self, stores: dict, pattern: str, layout: str) -> None:
        workloads.run_access(self.ds, self.pattern, self.schema, self.access, VARIABLE)


S3_LATENCY = 0.020
"""Seconds the S3 server waits before answering each request (a GET to S3 within a region)."""

S3_PATTERNS: tuple[str, ...] = ("point-series", "map", "ml-batch")
"""The read patterns timed on S3: the interactive ones, where a request's latency counts.
The region series is the point series' neighbour, and the full scan measures how fast moto,
a Python server in the benchmark's own process, streams bytes rather than an object store."""

S3_BUCKET = "bench"

_S3: dict[str, S3Server] = {}
_S3_COPIES: dict[Path, str] = {}
_S3_STACK = contextlib.ExitStack()

_METADATA = frozenset({"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"})


def s3_server() -> S3Server:
    """This process's S3 server with :data:`S3_BUCKET`, the AWS variables pointing at it.

    Started on the first call (asv's ``setup`` runs in the benchmark's own process), kept
    until :func:`close_s3` or the end of the process. A benchmark is skipped when moto's
    server or s3fs is missing (``pip install -e ".[test]"``).
    """
    server = _S3.get("server")
    if server is not None:
        return server
    try:
        import moto.server  # noqa: F401
        import s3fs
    except ImportError as exc:
        skip(f"the s3 backend needs moto's server and s3fs (pip install -e '.[test]'): {exc}")
    from .s3server import S3Server

    try:
        server = _S3_STACK.enter_context(S3Server(latency=S3_LATENCY))
        _S3_STACK.enter_context(server.environment())
        # fsspec caches filesystems by their arguments, not by the environment: forget any
        # that points at another endpoint, now and when the server stops
        _S3_STACK.callback(s3fs.S3FileSystem.clear_instance_cache)
        s3fs.S3FileSystem.clear_instance_cache()
        server.make_bucket(S3_BUCKET)
    except BaseException:
        _S3_STACK.close()
        raise
    _S3["server"] = server
    return server


def close_s3() -> None:
    """Stop this process's S3 server and restore the environment (the tests call it)."""
    _S3.clear()
    _S3_COPIES.clear()
    _S3_STACK.close()


def upload(store: Path, url: str, variable: str) -> None:
    """Copy the Zarr store at ``store`` to ``url``: every metadata file and coordinate, and of
    the data variables only ``variable``'s chunks (the only ones an access reads)."""
    import fsspec

    fs, root = fsspec.url_to_fs(url)
    others = {str(name) for name in workloads.open_for_reads(store).data_vars} - {variable}
    local, remote = [], []
    for file in sorted(p for p in store.rglob("*") if p.is_file()):
        rel = file.relative_to(store)
        if rel.parts[0] in others and rel.name not in _METADATA:
            continue
        local.append(str(file))
        remote.append(f"{root}/{rel.as_posix()}")
    fs.put(local, remote)


def s3_copy(path: Path) -> str:
    """The URL of this process's S3 copy of the store at ``path`` (uploaded on the first call,
    with no latency; the request counts start afresh after it)."""
    url = _S3_COPIES.get(path)
    if url is not None:
        return url
    server = s3_server()
    url = f"s3://{S3_BUCKET}/{path.name}"
    server.latency = 0.0
    try:
        upload(path, url, VARIABLE)
    finally:
        server.latency = S3_LATENCY
    server.reset()
    _S3_COPIES[path] = url
    return url


class S3Access(Access):
    """Seconds per access on S3 (moto, 20 ms a request): point series, map and ML patch x chunking.

    The same copies, accesses and workload as :class:`Access`; ``backend`` names the store
    in the results (the report shows these beside the local disk's).
    """

    params = (["s3"], list(S3_PATTERNS), list(LAYOUTS))
    param_names = ("backend", "pattern", "layout")

    def setup(  # type: ignore[override]
        self, stores: dict[tuple[str, str], str], backend: str, pattern: str, layout: str
    ) -> None:
        path = Path(stores[pattern, layout])
        url = s3_copy(path)
        self.pattern = parse_pattern(pattern)
        self.schema = schema_of(path)
        self.ds = workloads.open_for_reads(url)
        self.access = next(_accesses(pattern, path))

    def time_read(  # type: ignore[override]
        self, stores: dict, backend: str, pattern: str, layout: str
    ) -> None:
        workloads.run_access(self.ds, self.pattern, self.schema, self.access, VARIABLE)
