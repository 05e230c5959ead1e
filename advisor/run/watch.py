"""Watching a run on a Dask cluster: each worker's peak memory, the workers that left or joined,
and a progress bar of the tasks.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from advisor.plan.errors import AdvisorError

if TYPE_CHECKING:
    from distributed import Client, Future

logger = logging.getLogger(__name__)

SAMPLE_INTERVAL = 0.5
"""Seconds between samples of the workers' resident memory."""


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _high_water() -> int:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class MemoryWatch:
    """Per worker, the peak resident memory over a block of work, and the workers that left or joined.

    A worker's peak is its high-water mark (``ru_maxrss``) when the work
    raised it, else the highest of the samples taken every ``interval`` s.
    """

    def __init__(self, client: Client, interval: float = SAMPLE_INTERVAL) -> None:
        self.client = client
        self.interval = interval
        self._stop = threading.Event()
        self._samples: dict[str, int] = {}
        self._thread = threading.Thread(target=self._sample, name="advisor-memory", daemon=True)

    def _run(self, func: Any) -> dict[str, int]:
        try:
            replies = self.client.run(func, on_error="return")
        except Exception:  # the cluster is going away: no sample
            return {}
        return {addr: v for addr, v in replies.items() if isinstance(v, int)}

    def _workers(self) -> dict[str, str]:
        try:
            workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        except Exception:  # the scheduler is gone: the run's own error says so
            return {}
        return {addr: str(w.get("name", addr)) for addr, w in workers.items()}

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for addr, rss in self._run(_rss).items():
                self._samples[addr] = max(rss, self._samples.get(addr, 0))

    def __enter__(self) -> MemoryWatch:
        self.before = self._workers()
        self.hwm_before = self._run(_high_water)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for addr, rss in self._run(_rss).items():
            self._samples[addr] = max(rss, self._samples.get(addr, 0))
        self.hwm_after = self._run(_high_water)
        self.after = self._workers()

    def peaks(self) -> tuple[tuple[str, int], ...]:
        """``(worker name, peak bytes)`` for every worker seen, by name."""
        names = {**self.before, **self.after}
        out = []
        for addr, name in names.items():
            before, after = self.hwm_before.get(addr), self.hwm_after.get(addr)
            if after is not None and (before is None or after > before):
                peak = after
            else:
                peak = self._samples.get(addr, 0)
            out.append((name, peak))
        return tuple(sorted(out))

    @property
    def lost(self) -> int:
        return len(set(self.before) - set(self.after))

    @property
    def joined(self) -> int:
        return len(set(self.after) - set(self.before))


def wait_with_progress(futures: list[Future], label: str, show: bool) -> int:
    """Wait for ``futures`` with a progress bar on stderr; returns the number of tasks they needed.

    The bar is fed by distributed's progress stream (every task of the graph)
    from a thread of its own; the wait itself is :func:`distributed.wait`, so a
    graph the scheduler rejects ends the wait instead of stalling the bar. The first
    future that fails cancels the others and its exception is raised: a chunk write that
    fails (a full disk) stops the write there.
    """
    from distributed import as_completed, wait
    from distributed.diagnostics.progressbar import TextProgressBar
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    counts = {"all": 0}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
    ) as progress:
        task = progress.add_task(label, total=None)

        class Bar(TextProgressBar):
            def _draw_bar(self, remaining: int, all: int, **kwargs: object) -> None:
                counts["all"] = all
                progress.update(task, total=all, completed=all - remaining)

            def _draw_stop(self, **kwargs: object) -> None:
                pass

        feed = threading.Thread(
            target=Bar,
            args=(futures,),
            kwargs={"complete": True},
            name="advisor-progress",
            daemon=True,
        )
        feed.start()
        for done in as_completed(futures):
            if done.status == "error":  # stop the rest at once, then say why (the first only)
                done.client.cancel([f for f in futures if f is not done])
                damaged = _damaged_chunk(done)
                if damaged is not None:
                    raise damaged from None
                done.result()  # raises the task's exception
        wait(futures)
        feed.join(timeout=2)  # the last update
    return counts["all"]


SETTLE_SECONDS = 10.0
"""How long a failed or interrupted run waits for the workers' running tasks to end."""


def _executing() -> int:
    from distributed import get_worker

    return get_worker().state.executing_count


def settle(client: Client, futures: list[Future], timeout: float = SETTLE_SECONDS) -> None:
    """Cancel ``futures`` and wait (at most ``timeout`` s) until no worker runs a task.

    A cancelled task that is running finishes on its worker: a chunk write
    would recreate the temporary copy the cleanup removes. A cluster that
    cannot answer (the scheduler lost) is not waited for.
    """
    import time

    deadline = time.monotonic() + timeout
    try:
        client.cancel(futures)
        idle = 0  # polls in a row with nothing running: a task the worker had queued when
        while time.monotonic() < deadline and idle < 4:  # the cancel came may start after it
            busy = client.run(_executing, on_error="return")
            idle = 0 if any(isinstance(n, int) and n > 0 for n in busy.values()) else idle + 1
            time.sleep(0.05)
    except BaseException:  # a lost scheduler, a second Ctrl-C: clean up what can be
        return


def scheduler_lost(client: Client) -> bool:
    """Whether ``client`` lost its scheduler (it gave up reconnecting, or is still trying)."""
    return client.status not in ("running", "newly-created")


def lost_scheduler_error(address: str | None, target: object) -> AdvisorError:
    """The one line after the scheduler at ``address`` went away mid-run; nothing of ``target``
    was published.

    Examples
    --------
    >>> str(lost_scheduler_error(None, "/data/out.zarr"))  # doctest: +NORMALIZE_WHITESPACE
    'lost the Dask scheduler mid-run: the write stopped and nothing was published (an old
    /data/out.zarr is as it was, the temporary copy removed); check the scheduler and rerun
    the command'
    """
    at = f" at {address}" if address else ""
    return AdvisorError(
        f"lost the Dask scheduler{at} mid-run: the write stopped and nothing was published "
        f"(an old {target} is as it was, the temporary copy removed); check the scheduler "
        "and rerun the command"
    )


_NOT_DATA = ("botocore", "aiobotocore", "aiohttp", "urllib3", "distributed", "advisor")
"""Libraries whose exceptions are a fault of the service or the run, not of a chunk's bytes."""


def _blame(dask_scheduler: Any, key: object) -> object:
    task = dask_scheduler.tasks.get(key)
    blamed = task.exception_blame if task is not None else None
    return blamed.key if blamed is not None else None


def _damaged_chunk(future: Future) -> AdvisorError | None:
    """One line naming the array and chunk when ``future`` failed decoding a source chunk
    (the task to blame reads a source: ``open_dataset-VAR-token`` at a block), else None."""
    exc = future.exception()
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in _NOT_DATA:
        return None
    try:
        key = future.client.run_on_scheduler(_blame, key=future.key)
    except Exception:
        key = None
    said = f"{type(exc).__name__}: {exc}"
    name, *index = key if isinstance(key, tuple) and isinstance(key[0], str) else ("", ())
    if not name.startswith("open_dataset-") or name.count("-") < 2:  # a read fused into the
        logger.debug("task %s failed", key, exc_info=exc)  # write (no rechunk): no chunk key
        return AdvisorError(
            f"a task of the run failed ({said}): nothing was published; a damaged source chunk "
            "is the usual cause: check the sources (-v logs the task), then rerun"
        )
    array = name.split("-", 1)[1].rsplit("-", 1)[0]
    chunk = ".".join(str(i) for i in index)
    return AdvisorError(
        f"cannot decode chunk {chunk} of {array} in the source ({said}): "
        "the chunk is damaged; nothing was published; restore the source store, then rerun"
    )
