"""The paste-ready snippet: ``ds.chunk(...)`` and ``to_zarr(encoding=...)`` as Python source."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from advisor.plan.codecs import CodecSpec, ZarrFormat
from advisor.plan.errors import AdvisorError
from advisor.plan.location import parse_url
from advisor.plan.schema import Schema

_SECRET_WORDS = ("secret", "key", "token", "password", "credential", "sas")
"""Storage options never printed in a snippet (credentials come from the environment)."""


def encoding_snippet(
    schema: Schema,
    chunks: Mapping[str, int],
    shards: Mapping[str, int] | None,
    codec: CodecSpec,
    zarr_format: ZarrFormat = 3,
    storage_options: Mapping[str, Any] | None = None,
) -> str:
    """Python that rechunks ``ds`` to ``chunks`` (in ``shards``) and writes it with ``codec``.

    When the schema's source is a URL (``s3://...``), the snippet opens that URL with xarray
    and writes the copy beside it (``<name>.rechunked.zarr``), with ``storage_options`` as
    given (credentials left out: they come from the environment, as the advisor's did).

    Examples
    --------
    >>> from advisor.plan.codecs import DEFAULT_CODEC
    >>> s = Schema(("time", "x"), (100, 10), 4)
    >>> snippet = encoding_snippet(s, {"time": 100, "x": 10}, None, DEFAULT_CODEC, 2)
    >>> print(snippet)  # doctest: +NORMALIZE_WHITESPACE
    from numcodecs import Blosc
    <BLANKLINE>
    chunks = {"time": 100, "x": 10}
    ds = ds.chunk(chunks)
    for var in ds.variables.values():  # forget the source store's chunks and codecs
        for key in ("chunks", "preferred_chunks", "compressors", "filters", "shards"):
            var.encoding.pop(key, None)
    encoding = {
        name: {
            "chunks": tuple(chunks.get(d, ds.sizes[d]) for d in ds[name].dims),
            "compressors": [Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE)],
        }
        for name in ds.data_vars
    }
    ds.to_zarr("out.zarr", mode="w-", encoding=encoding, zarr_format=2, consolidated=True)
    """
    if shards is not None and zarr_format != 3:
        raise AdvisorError("shards need zarr format 3: pass --zarr-format 3 or drop --shards")
    head, _ = codec.snippet(zarr_format)
    chunk_text = ", ".join(f'"{d}": {c}' for d, c in chunks.items())
    names = repr(list(schema.variables)) if schema.variables else "ds.data_vars"
    url = parse_url(schema.name) if schema.name else None
    lines = [head] if head else []
    out, options = '"out.zarr"', ""
    if url is not None:
        shown = {
            k: v
            for k, v in (storage_options or {}).items()
            if not any(word in k.lower() for word in _SECRET_WORDS)
        }
        stem = url.name.removesuffix(".zarr")
        out, options = (
            f'"{url.with_name(stem + ".rechunked.zarr")}"',
            ", storage_options=storage_options",
        )
        lines += [
            "import xarray as xr",
            "",
            f"storage_options = {json.dumps(shown)}  # credentials: from the environment",
            f'ds = xr.open_zarr("{url}", storage_options=storage_options)',
        ]
    if lines:
        lines.append("")
    lines.append(f"chunks = {{{chunk_text}}}")
    if shards is not None:
        shard_text = ", ".join(f'"{d}": {c}' for d, c in shards.items())
        lines += [
            f"shards = {{{shard_text}}}",
            "ds = ds.chunk(shards)  # one Dask chunk per shard: no two tasks write one shard",
        ]
    else:
        lines.append("ds = ds.chunk(chunks)")
    lines += [
        "for var in ds.variables.values():  # forget the source store's chunks and codecs",
        '    for key in ("chunks", "preferred_chunks", "compressors", "filters", "shards"):',
        "        var.encoding.pop(key, None)",
        "encoding = {",
        "    name: {",
        '        "chunks": tuple(chunks.get(d, ds.sizes[d]) for d in ds[name].dims),',
    ]
    if shards is not None:
        lines.append('        "shards": tuple(shards.get(d, ds.sizes[d]) for d in ds[name].dims),')
    lines += [
        *(
            f'        "{key}": {value},'
            for key, value in codec.encoding_entries(zarr_format).items()
        ),
        "    }",
        f"    for name in {names}",
        "}",
        f'ds.to_zarr({out}, mode="w-", encoding=encoding, zarr_format={zarr_format}, '
        f"consolidated=True{options})",
    ]
    return "\n".join(lines)
