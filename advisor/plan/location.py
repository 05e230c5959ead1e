"""Where a store lives: a local path, or a URL on an object store (pure: parsing, no I/O).

A :class:`Url` is to an object store what :class:`pathlib.PurePosixPath` is to a folder: a
scheme, a bucket-and-key path, the storage options that reach it, and the few path
operations the commands need (``/``, ``name``, ``parent``, ``with_name``,
``is_relative_to``). :func:`parse_url` tells a URL from a local path; the store layer
(:mod:`advisor.store.locations`) opens them.

Examples
--------
>>> url = parse_url("s3://bucket/era5/2019.zarr")
>>> url.scheme, url.bucket, url.name, str(url.parent / "2020.zarr")
('s3', 'bucket', '2019.zarr', 's3://bucket/era5/2020.zarr')
>>> parse_url("data/era5.zarr") is None
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from advisor.plan.errors import AdvisorError

Scheme = Literal["s3", "gs", "az", "memory", "http", "https"]
"""The object-store schemes the advisor opens (``file://`` URLs are local paths)."""

ALIASES: dict[str, Scheme] = {"gcs": "gs", "abfs": "az", "abfss": "az", "s3a": "s3"}
"""Other names fsspec accepts for the same stores."""

LIBRARIES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "cloud"),
    "gs": ("gcsfs", "cloud"),
    "az": ("adlfs", "cloud"),
    "http": ("aiohttp", "cloud"),
    "https": ("aiohttp", "cloud"),
}
"""The library each scheme needs and the extra that installs it (memory:// needs none)."""

READ_ONLY: frozenset[str] = frozenset({"http", "https"})
"""Schemes the advisor reads from but never writes to."""

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/+(.*)$")


def split_url(text: str) -> tuple[str, str] | None:
    """``(scheme, rest)`` of a URL-looking text, else None; a path that went through
    :class:`pathlib.Path` (``s3:/bucket``, one slash) counts too.

    Examples
    --------
    >>> split_url("s3:/bucket/a.zarr"), split_url("/data/a.zarr")
    (('s3', 'bucket/a.zarr'), None)
    """
    match = _URL.match(text)
    return (match.group(1).lower(), match.group(2)) if match else None


@dataclass(frozen=True, slots=True)
class Url:
    """A store on an object store (or in memory, or on a web server).

    ``options`` holds the storage options as sorted JSON (so a :class:`Url`
    is hashable and compares by value); :attr:`storage_options` gives them back.
    """

    scheme: Scheme
    key: str
    """Bucket (or container, or host) and key, without a leading or trailing ``/``."""
    options: str = "{}"

    @classmethod
    def make(
        cls, scheme: Scheme, key: str, storage_options: Mapping[str, Any] | None = None
    ) -> Url:
        """A :class:`Url` with ``storage_options`` (any JSON-able values)."""
        return cls(scheme, key.strip("/"), json.dumps(dict(storage_options or {}), sort_keys=True))

    @property
    def storage_options(self) -> dict[str, Any]:
        """The options the store's file system takes (credentials, endpoint, anon...)."""
        return dict(json.loads(self.options))

    @property
    def bucket(self) -> str:
        """The first part of the key: the bucket, container or host."""
        return self.key.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The last part of the key."""
        return PurePosixPath(self.key).name

    @property
    def parent(self) -> Url:
        """The URL one level up (a bucket's parent is the bucket)."""
        parent = str(PurePosixPath(self.key).parent)
        return Url(self.scheme, self.key if parent == "." else parent, self.options)

    @property
    def read_only(self) -> bool:
        """Whether the advisor may only read here (``https://``)."""
        return self.scheme in READ_ONLY

    def __truediv__(self, name: str) -> Url:
        return Url(self.scheme, f"{self.key}/{name.strip('/')}", self.options)

    def with_name(self, name: str) -> Url:
        """The sibling called ``name``."""
        return self.parent / name

    def is_relative_to(self, other: object) -> bool:
        """Whether this URL is ``other`` or lies inside it (a local path never holds a URL)."""
        if not isinstance(other, Url) or other.scheme != self.scheme:
            return False
        return self.key == other.key or self.key.startswith(other.key + "/")

    def with_options(self, storage_options: Mapping[str, Any]) -> Url:
        """The same URL reached with ``storage_options``."""
        return Url.make(self.scheme, self.key, storage_options)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.key}"


def parse_url(
    text: str, storage_options: Mapping[str, Any] | None = None, *, option: str = "SOURCE"
) -> Url | None:
    """The :class:`Url` ``text`` names, or None for a local path (``file://`` URLs included).

    Raises :class:`AdvisorError` for a scheme the advisor does not open.

    Examples
    --------
    >>> parse_url("gcs://bucket/x.zarr", {"token": "anon"})
    Url(scheme='gs', key='bucket/x.zarr', options='{"token": "anon"}')
    >>> parse_url("file:///data/x.zarr") is None
    True
    >>> parse_url("ftp://host/x.zarr", option="--out")
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --out ftp://host/x.zarr: ftp:// is not a store the advisor \
opens; use a local path or an s3://, gs://, az://, memory:// or https:// URL
    """
    parts = split_url(text)
    if parts is None:
        return None
    scheme, rest = parts
    if scheme == "file":
        return None
    scheme = ALIASES.get(scheme, scheme)
    if scheme not in ("s3", "gs", "az", "memory", "http", "https"):
        raise AdvisorError(
            f"{option} {scheme}://{rest}: {scheme}:// is not a store the advisor opens; use a "
            "local path or an s3://, gs://, az://, memory:// or https:// URL"
        )
    if not rest.strip("/"):
        raise AdvisorError(f"{option} {text}: the URL names no bucket; give {scheme}://BUCKET/PATH")
    return Url.make(scheme, rest, storage_options)  # type: ignore[arg-type]


def local_path(text: str) -> str:
    """The path of a ``file://`` URL, or ``text`` itself.

    Examples
    --------
    >>> local_path("file:///data/x.zarr"), local_path("x.zarr")
    ('/data/x.zarr', 'x.zarr')
    """
    parts = split_url(text)
    return "/" + parts[1] if parts is not None and parts[0] == "file" else text


def parse_storage_options(items: list[str] | tuple[str, ...], anon: bool = False) -> dict[str, Any]:
    """The ``--storage-option KEY=VALUE`` items (values read as JSON when they parse: numbers,
    true/false, objects; else text) and ``--anon``.

    Examples
    --------
    >>> parse_storage_options(["requester_pays=true", "profile=era5"], anon=True)
    {'requester_pays': True, 'profile': 'era5', 'anon': True}
    >>> parse_storage_options(["nokey"])
    Traceback (most recent call last):
    ...
    advisor.plan.errors.AdvisorError: --storage-option 'nokey': give KEY=VALUE, e.g. \
--storage-option requester_pays=true
    """
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AdvisorError(
                f"--storage-option {item!r}: give KEY=VALUE, e.g. --storage-option requester_pays=true"
            )
        if key.strip() in options:
            raise AdvisorError(f"--storage-option {key.strip()} is given twice: give it once")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    if anon:
        options["anon"] = True
    return options
