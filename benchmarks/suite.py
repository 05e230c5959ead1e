"""What the suites share: asv's timing attributes by kind of benchmark, skips and seeded draws.

A suite subclasses :class:`Interactive` (calls of milliseconds to a second,
timed many times) or :class:`Pipeline` (Dask computations of seconds to
minutes, timed once or twice), or :class:`Suite` when it sets its own; it may
override any attribute. asv reads the attributes through the class, so the
benchmarks' names (``module.Class.method``) and their code, hence their asv
versions, do not depend on where the attributes are written.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, ClassVar, NoReturn

import numpy as np

from .scale import setup_timeout


class Suite:
    """One round per benchmark; a ``setup_cache`` the suite defines may take :data:`SETUP_TIMEOUT`.

    Each suite writes its own ``setup_cache`` (asv keys the cache by where the
    method is written, so a shared one would hand one suite's data to another);
    this class gives it the timeout of the scale, the first time making the
    data takes longest.

    Examples
    --------
    >>> class Demo(Suite):
    ...     def setup_cache(self) -> None: ...
    >>> Demo.rounds, Demo.setup_cache.timeout == setup_timeout()
    (1, True)
    """

    rounds: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        make = vars(cls).get("setup_cache")
        if make is not None:
            make.timeout = setup_timeout()


class Interactive(Suite):
    """Calls of milliseconds to a second: at least 3 and up to 10 samples, no warm-up."""

    repeat: ClassVar[tuple[int, int, float]] = (3, 10, 10.0)
    warmup_time: ClassVar[float] = 0.0
    timeout: ClassVar[float] = 120


class Pipeline(Suite):
    """Dask computations of seconds to minutes: one call a sample, one or two samples."""

    repeat: ClassVar[tuple[int, int, float]] = (1, 2, 10.0)
    min_run_count: ClassVar[int] = 1
    warmup_time: ClassVar[float] = 0.0
    timeout: ClassVar[float] = 900


def skip(reason: str) -> NoReturn:
    """Skip this benchmark: asv records a ``NotImplementedError`` raised in ``setup`` as skipped."""
    raise NotImplementedError(reason)


@functools.cache
def rng(*key: object) -> np.random.Generator:
    """This process's generator for ``key`` (e.g. the benchmark's name and parameters).

    Seeded by ``key``: every run draws the same sequence, and the successive
    ``setup`` calls of one benchmark draw successive values of it.

    Examples
    --------
    >>> rng("demo", 1) is rng("demo", 1), int(rng("other").integers(10**6)) >= 0
    (True, True)
    """
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
