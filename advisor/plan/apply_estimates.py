"""What an ``advisor apply`` run is estimated to need before it starts: memory per worker, tasks.

Pure arithmetic on the chunk grids (:mod:`advisor.plan.grid`) of the sources, the output and the
store written; calibrated on the full sample year.
"""

from __future__ import annotations

from advisor.plan.copy_plan import ChunkedSchema
from advisor.plan.grid import Grid, block_bytes, crossed_blocks, n_blocks
from advisor.plan.rechunk import RechunkMethod

WORKER_BASELINE = 180e6
"""Resident memory of an idle Dask worker once it has imported numpy, pandas, xarray, zarr, the
codecs and flox (measured: 140-180 MB on Linux with Python 3.11)."""

BLOCK_COPIES = 3
"""Copies of its largest block a busy thread holds at once: the decoded input, its result (a
reduction's output, a rechunk's assembled chunk) and a temporary (the compressed bytes, a
reduction's intermediate). Calibrated on the full sample year: 2 threads resampling 58 MB chunks
peaked at 531-540 MB per worker."""

P2P_BUFFERS = 2**30 + 100 * 2**20
"""distributed's default in-memory buffers of a P2P rechunk per worker: ``p2p.comm.buffer``
(1 GiB) plus ``p2p.storage.buffer`` (100 MiB); the rest goes to the worker's local disk."""


def estimate_peak_memory(
    source: ChunkedSchema,
    output: ChunkedSchema,
    write_grid: Grid,
    method: RechunkMethod,
    threads: int,
    verify_grid: Grid | None = None,
) -> int:
    """Estimated peak resident memory of one worker.

    The idle worker (:data:`WORKER_BASELINE`), plus per thread
    :data:`BLOCK_COPIES` copies of the largest block it handles (a source chunk
    being read and reduced, a resampled block, a write block being assembled
    and encoded, or a block read back to verify), plus P2P's buffers when the rechunk is peer-to-peer (capped
    at the data a worker receives).

    Examples
    --------
    >>> from advisor.plan.grid import regular_grid
    >>> from advisor.plan.schema import Schema
    >>> hourly = Schema(("time", "latitude", "longitude"), (8760, 121, 161), 4)
    >>> src = ChunkedSchema(hourly, regular_grid(hourly.shape, (744, 121, 161)))
    >>> round(estimate_peak_memory(src, src, src.grid, "none", 2) / 1e6)
    528
    """
    itemsize = output.schema.itemsize
    largest = max(
        source.block_bytes,
        output.block_bytes,
        block_bytes(write_grid, itemsize),
        block_bytes(verify_grid or write_grid, itemsize),
    )
    peak = WORKER_BASELINE + threads * BLOCK_COPIES * largest
    if method == "p2p":
        peak += min(P2P_BUFFERS, output.nbytes)
    return int(peak)


def estimate_tasks(
    source: ChunkedSchema,
    output: ChunkedSchema,
    write_grid: Grid,
    method: RechunkMethod,
    verify_grid: Grid,
) -> int:
    """Estimated tasks of the write and the verification, from the chunk grids.

    Per variable: a read per source chunk, a reduction per source chunk when
    resampling, the rechunk (``tasks``: a piece per crossing plus a merge per
    output chunk; ``p2p``: a transfer per input and an unpack per output
    chunk), a write per output chunk, and a checksum per block on both sides
    of the verification.

    Examples
    --------
    >>> from advisor.plan.grid import regular_grid
    >>> from advisor.plan.schema import Schema
    >>> daily = Schema(("time", "latitude", "longitude"), (365, 121, 161), 4, variables=("cape",))
    >>> layout = ChunkedSchema(daily, regular_grid(daily.shape, (31, 121, 161)))
    >>> estimate_tasks(layout, layout, layout.grid, "none", regular_grid(daily.shape, (365, 121, 161)))
    26
    """
    n_src, n_mid, n_out = n_blocks(source.grid), n_blocks(output.grid), n_blocks(write_grid)
    resampled = source.schema.shape != output.schema.shape
    rechunk = {
        "none": 0,
        "tasks": crossed_blocks(output.grid, write_grid) + n_out,
        "p2p": n_mid + n_out,
    }[method]
    n_verify = n_blocks(verify_grid)
    per_variable = n_src * (2 if resampled else 1) + rechunk + n_out + 2 * n_verify
    return per_variable * max(1, len(output.schema.variables))
