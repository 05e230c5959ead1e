"""``advisor.calibrate``: measure the cost model's constants on a store and save the profile."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.codecs import CodecSpec
from advisor.plan.engine import Engine, merge_engine_speeds, parse_engine
from advisor.plan.errors import AdvisorError
from advisor.plan.fit import Calibration
from advisor.run.calibrate import CODECS, HOURS, check_calibration
from advisor.run.calibrate import calibrate as measure
from advisor.run.engines import computing_on, engine_used
from advisor.run.scratch import check_store
from advisor.store.profiles import calibration_path, load_profile, save_profile

if TYPE_CHECKING:
    from distributed import Client


def calibrate(
    store: str | None = None,
    *,
    profile: str | Path | None = None,
    save: bool = True,
    repeats: int = 5,
    hours: int = HOURS,
    codecs: Sequence[str] = CODECS,
    client: Client | None = None,
    scheduler: str | None = None,
    engine: Engine | str | None = None,
    quiet: bool = False,
    progress: Callable[[str], None] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Calibration:
    """Time reads, decoding and Dask tasks on ``store`` and fit (and save) a storage profile.

    Parameters
    ----------
    store
        A folder or fsspec URL to measure (default: a temporary folder on the local disk).
        Everything written there is removed afterwards. On an object store (a URL but
        ``file://``) the first-byte latency, the bandwidth and the concurrency that still
        helps are measured by GETs of their own (:attr:`Calibration.probe`,
        :func:`advisor.run.probe_store.probe_store`). The profile records the store's
        ``backend``, ``endpoint`` host and ``zarr_version``.
    profile
        Where to save the profile (default: ``ADVISOR_PROFILE`` when it names a file,
        else ``profile.json`` in the user's config folder,
        :func:`advisor.store.profiles.calibration_path`).
    save
        Save the profile (then :attr:`Calibration.saved_to` says where); ``advisor
        recommend`` and ``advisor apply`` use the saved profile from then on.
    repeats, hours, codecs
        Timed accesses per measurement, hours of the sample written (24 to 8760) and the
        codecs whose speeds are measured.
    client, scheduler, engine
        Compute on ``client``, else on the scheduler at ``scheduler`` (or
        ``ADVISOR_SCHEDULER``), else on ``engine``: ``threads`` (dask's threaded scheduler
        in this process) or ``processes`` (the default: a new LocalCluster sized to this
        machine). The scans' constants are that engine's; the saved profile keeps those it
        measured before for other engines (:attr:`StorageProfile.engine_speeds`).
    quiet, progress
        Do not announce the cluster; ``progress`` receives a line before measuring.
    storage_options
        Options for the file system of a URL ``store`` (credentials, endpoint...).

    Bad options (and a profile path that is a folder) are refused before any cluster starts.
    """
    check_calibration(repeats, hours)
    asked = parse_engine(engine) if engine is not None else None
    engine_used(asked, scheduler, client)  # a contradiction is refused before anything runs
    for codec in codecs:
        CodecSpec.parse(codec)
    target = calibration_path(profile) if save else None
    where = check_store(store, storage_options)
    if progress is not None:
        progress(f"calibrating on {where or 'a temporary folder on the local disk'}")
    with computing_on(asked, scheduler, client=client, quiet=quiet) as (used, on):
        result = measure(where, on, repeats=repeats, codecs=codecs, hours=hours, engine=used)
    if target is None:
        return result
    fitted = result.profile
    if target.is_file():  # the engines measured before, kept
        try:
            before = load_profile(str(target)).engine_speeds
        except AdvisorError:
            before = ()
        speeds = merge_engine_speeds(fitted.engine_speeds, before)
        fitted = dataclasses.replace(fitted, engine_speeds=speeds)
    saved = save_profile(fitted, target)
    return dataclasses.replace(result, profile=fitted, saved_to=str(saved))
