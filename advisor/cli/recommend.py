"""``advisor recommend``: the chunk shape that serves your access patterns, with what it costs."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import typer

from advisor.cli.app import app
from advisor.cli.options import Anon, Engine, Json, MaxSize, MinSize, Profile, StorageOption
from advisor.cli.output import emit, inert
from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from rich.console import Console

    from advisor.plan.policy.results import Recommendation
    from advisor.plan.schema import Schema


@app.command("recommend")
def recommend_cmd(
    source: str | None = typer.Argument(
        None,
        help="A Zarr store path or a catalog entry name (or use --shape); or a table: a .parquet "
        "file or folder, a .csv or .csv.gz (or use --rows and --columns).",
        show_default=False,
    ),
    pattern: list[str] = typer.Option(
        [],
        "--pattern",
        "-p",
        help="An access pattern KIND[:key=value,...][@weight]; repeat for a mix. Kinds: "
        "point-series, region-series, map, ml-batch, resample, climatology, full-scan, "
        "append (a write: append:every=1h, 1D or steps=N) "
        "(default: point-series, map, ml-batch).",
        show_default=False,
    ),
    shape: str | None = typer.Option(
        None,
        "--shape",
        help="A bare shape instead of SOURCE, e.g. time=8760,latitude=121,longitude=161.",
    ),
    dtype: str = typer.Option("float32", "--dtype", help="The dtype with --shape."),
    dims: str | None = typer.Option(
        None, "--dims", help="Map roles to dims, e.g. time=valid_time,latitude=y,longitude=x."
    ),
    time_step: str | None = typer.Option(
        None, "--time-step", help="Time step, e.g. 1h (read from the time coordinate of a SOURCE)."
    ),
    start: str | None = typer.Option(
        None, "--start", help="First time, e.g. 2019-01-01 (aligns days and months)."
    ),
    min_size: str = MinSize,
    max_size: str = MaxSize,
    profile: str | None = Profile,
    shards: bool = typer.Option(
        False,
        "--shards",
        help="Zarr 3 shards in the size band, with inner chunks sized for the reads.",
    ),
    top: int = typer.Option(0, "--top", help="Also show the next K best layouts in the band."),
    worker_memory: str | None = typer.Option(
        None, "--worker-memory", help="Memory per Dask worker, e.g. 2GB (bounds the chunk size)."
    ),
    threads: int | None = typer.Option(None, "--threads", help="Threads per Dask worker."),
    zarr_format: int = typer.Option(3, "--zarr-format", help="Zarr format of the snippet: 2 or 3."),
    catalog: str | None = typer.Option(None, "--catalog", help="The intake catalog file."),
    price_gets: float | None = typer.Option(
        None,
        "--price-per-1000-gets",
        help="US dollars per 1,000 GETs on an object store (default: S3's list price, $0.0004).",
        show_default=False,
    ),
    price_puts: float | None = typer.Option(
        None,
        "--price-per-1000-puts",
        help="US dollars per 1,000 PUTs on an object store (default: S3's list price, $0.005).",
        show_default=False,
    ),
    engine: str | None = Engine,
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Price reductions for the Dask cluster at this address (its threads, and the "
        "profile's figures for --engine scheduler).",
        show_default=False,
    ),
    storage_option: list[str] = StorageOption,
    anon: bool = Anon,
    as_json: bool = Json,
    rows: str | None = typer.Option(None, "--rows", help="A bare table's rows (with --columns)."),
    columns: str | None = typer.Option(
        None, "--columns", help="A bare table's columns: name:dtype[:cardinality],..."
    ),
) -> None:
    """Recommend a chunk shape for SOURCE (or --shape) read by the given access patterns; for a
    table (Parquet, CSV, or --rows/--columns), its partitions, row groups, sort order and dtypes
    (table patterns: time-range, key, scan, groupby, append)."""
    from advisor.store.table_paths import is_table_source

    if rows is not None or columns is not None or (shape is None and is_table_source(source)):
        from advisor.cli.recommend_table import recommend_table_cmd

        return recommend_table_cmd(source, pattern, rows, columns, profile, as_json)
    from advisor.api.recommend import recommend
    from advisor.plan.location import parse_storage_options
    from advisor.plan.parse import parse_dims_map, parse_duration, parse_start, schema_from_shape
    from advisor.plan.policy.recommend import DEFAULT_PATTERNS
    from advisor.store.profiles import find_profile

    if zarr_format not in (2, 3):
        raise AdvisorError(f"--zarr-format {zarr_format}: use 2 or 3")
    if shards and zarr_format != 3:
        raise AdvisorError("--shards needs zarr format 3: drop --zarr-format 2 or --shards")
    if (source is None) == (shape is None):
        raise AdvisorError("give either a SOURCE (Zarr path or catalog entry) or --shape, not both")
    dims_map = parse_dims_map(dims) if dims else None
    step = parse_duration(time_step) if time_step else None
    first = parse_start(start) if start else None
    if shape is not None:
        target: Schema | str = schema_from_shape(
            shape, dtype, dims_map=dims_map, time_step=step, time_start=first
        )
    else:
        assert source is not None
        target = source  # a missing sample entry's data is made first (generate)
    rec = recommend(
        target,
        pattern or DEFAULT_PATTERNS,
        min_size=min_size,
        max_size=max_size,
        profile=find_profile(profile),
        worker_memory=worker_memory,
        threads_per_worker=threads,
        shards=shards,
        top=top,
        time_step=step,
        time_start=first,
        get_price=price_gets,
        put_price=price_puts,
        dims=dims_map,
        catalog=catalog,
        storage_options=parse_storage_options(storage_option, anon),
        generate=True,
        engine=engine,
        scheduler=scheduler,
    )
    options = parse_storage_options(storage_option, anon)
    emit(rec, as_json, lambda: _show(rec, zarr_format, options))


def _show(rec: Recommendation, zarr_format: int, options: dict[str, Any]) -> None:
    """The pick, the constraint that binds, layouts x patterns, the pick's figures, the snippet."""
    from rich.console import Console
    from rich.table import Table

    from advisor.plan.patterns import REDUCTIONS
    from advisor.plan.units import format_seconds
    from advisor.plan.units import human_readable_size as size

    console = Console(highlight=False)
    schema = rec.schema
    shape = ", ".join(f"{d}={n}" for d, n in zip(schema.dims, schema.shape, strict=True))
    console.print(
        f"[bold]{inert(schema.name)}[/bold]: {inert(shape)} {schema.dtype} ({size(schema.nbytes)})"
    )
    chunks = ", ".join(f"{d}={c}" for d, c in rec.chunks.items())
    console.print(
        f"[bold green]recommended chunks[/bold green]: {chunks}  "
        f"({size(rec.chunk_bytes)} per chunk, {rec.pick.n_chunks} chunks)"
    )
    if rec.shards is not None:
        shards = ", ".join(f"{d}={c}" for d, c in rec.shards.items())
        shard_bytes = math.prod(rec.shards.values()) * schema.itemsize
        console.print(
            f"[bold green]in shards of[/bold green]: {shards}  ({size(shard_bytes)} per shard)"
        )
    console.print(f"[bold]binding constraint[/bold]: {rec.binding_constraint}")
    console.print(f"[bold]profile[/bold]: {rec.profile_origin}")
    if rec.engine is not None and any(p.kind in REDUCTIONS for p in rec.patterns):
        console.print(f"[bold]engine[/bold]: {inert(rec.engine.note())}")

    layouts = Table(
        title="seconds per access, and slowdown vs each pattern's own best in the band",
        caption="* outside the size band" if any(not a.in_band for a in rec.alternatives) else None,
    )
    layouts.add_column("layout")
    layouts.add_column("chunks", no_wrap=True)
    layouts.add_column("size", justify="right", no_wrap=True)
    for cost in rec.costs:
        layouts.add_column(cost.name, justify="right")
    for layout in (rec.pick, *rec.top, *rec.alternatives):
        layouts.add_row(
            layout.label + ("" if layout.in_band else " *"),
            "x".join(map(str, layout.chunks))
            + (f" in {'x'.join(map(str, layout.shards))}" if layout.shards else ""),
            size(layout.chunk_bytes),
            *(f"{format_seconds(c.seconds)} x{c.slowdown:.2f}" for c in layout.costs),
            style="bold green" if layout is rec.pick else None,
        )
    console.print(layouts)

    detail = Table(
        title="the recommended layout, per access",
        caption="append: per append, the chunks written, the bytes rewritten and their ratio "
        "to the new bytes"
        if rec.appends
        else None,
    )
    for column in ("pattern", "weight", "chunks", "read", "read/wanted", "seconds", "flox"):
        detail.add_column(column, justify="left" if column in ("pattern", "flox") else "right")
    for cost in rec.costs:
        flox: str = cost.flox_method or ""
        if cost.groups_split is not None:
            flox += f", {cost.groups_split:.0%} split"
        detail.add_row(
            cost.name,
            f"{cost.weight:g}",
            f"{cost.chunks_touched:.3g}",
            size(cost.bytes_read),
            f"{cost.amplification:.3g}",
            format_seconds(cost.seconds),
            flox,
        )
    console.print(detail)
    _show_requests(console, rec)
    _show_beyond(console, rec)
    for advice in rec.appends:
        console.print(f"[bold]append strategy[/bold]: {advice.sentence()}")
    for note in rec.notes:
        console.print(f"[yellow]note[/yellow]: {inert(note)}")
    console.print(f"[bold]paste-ready (zarr format {zarr_format}, {rec.codec.label})[/bold]:")
    typer.echo(rec.encoding(zarr_format, options))  # type: ignore[arg-type]


def _show_requests(console: Console, rec: Recommendation) -> None:
    """Requests per access (and per shard), their price on an object store, the PUTs of the copy."""
    from rich.table import Table

    billed = rec.request_costs
    table = Table(
        title="requests per access",
        caption=None
        if billed is None
        else f"GETs at ${billed.get_price_per_1000:g} per 1,000 (--price-per-1000-gets)",
    )
    columns = ["pattern", "requests"] + (["shards"] if rec.shards else [])
    columns += ["$ per 1M accesses"] if billed is not None else []
    for column in columns:
        table.add_column(column, justify="left" if column == "pattern" else "right")
    for i, cost in enumerate(rec.costs):
        row = [cost.name, f"{cost.requests:,.3g}"]
        row += [f"{cost.shards_touched or 0:,.3g}"] if rec.shards else []
        if billed is not None:
            get_cost = billed.patterns[i].get_cost
            row += [_dollars(get_cost * 1e6)]
        table.add_row(*row)
    console.print(table)
    console.print(f"[bold]requests[/bold]: counted for {rec.zarr_reads.describe()}")
    if billed is not None:
        console.print(
            f"[bold]writing the copy[/bold]: {billed.puts:,} PUTs ({billed.objects:,} "
            f"{'shards' if rec.shards else 'chunks'} and {billed.metadata_docs} metadata "
            f"documents), {_dollars(billed.put_cost)} at ${billed.put_price_per_1000:g} per 1,000"
        )


def _dollars(amount: float) -> str:
    """US dollars for people: cents above a dollar, two figures below."""
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.2g}"


def _show_beyond(console: Console, rec: Recommendation) -> None:
    """What the band hides: a faster layout outside it, two copies, the cost of rechunking."""
    from advisor.plan.units import human_readable_size as size

    if (beyond := rec.beyond_band) is not None:
        layout = beyond.layout
        per = ", ".join(
            f"{c.name} x{s:.3g}" for c, s in zip(layout.costs, beyond.speedups, strict=True)
        )
        console.print(
            f"[bold]beyond the band[/bold]: {'x'.join(map(str, layout.chunks))} "
            f"({size(layout.chunk_bytes)} chunks) is {beyond.speedup:.3g}x faster for these "
            f"patterns ({per}); the band holds because {beyond.reason}"
        )
    if (two := rec.two_copies) is not None:
        console.print(
            f"[bold]two copies[/bold]: the pick costs some pattern {two.worst_one_copy:.3g}x "
            f"its optimum; two copies bring the worst to {two.worst_two_copies:.3g}x "
            f"for {size(two.extra_bytes)} more storage:"
        )
        for copy in two.copies:
            console.print(
                f"  {'x'.join(map(str, copy.layout.chunks))} for {', '.join(copy.patterns)} "
                f"(about {size(copy.stored_bytes)} stored)"
            )
        console.print(
            "  `advisor apply SOURCE --pattern ... --out COPY1 --out COPY2` writes both "
            "(the first --out serves the first pattern's family)"
        )
    if rec.rechunk is not None:
        console.print(f"[bold]rechunking the current store[/bold]: {rec.rechunk.sentence()}")
