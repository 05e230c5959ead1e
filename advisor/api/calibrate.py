"""``advisor.calibrate``: measure the cost model's constants on a store and save the profile."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.plan.codecs import CodecSpec
from advisor.plan.fit import Calibration
from advisor.run.calibrate import CODECS, HOURS, check_calibration
from advisor.run.calibrate import calibrate as measure
from advisor.run.cluster import dask_client
from advisor.run.scratch import check_store
from advisor.store.profiles import calibration_path, save_profile

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
    client, scheduler
        Compute on ``client``, else on the scheduler at ``scheduler`` (or
        ``ADVISOR_SCHEDULER``), else on a new LocalCluster sized to this machine.
    quiet, progress
        Do not announce the cluster; ``progress`` receives a line before measuring.
    storage_options
        Options for the file system of a URL ``store`` (credentials, endpoint...).

    Bad options (and a profile path that is a folder) are refused before any cluster starts.
    """
    check_calibration(repeats, hours)
    for codec in codecs:
        CodecSpec.parse(codec)
    target = calibration_path(profile) if save else None
    where = check_store(store, storage_options)
    if progress is not None:
        progress(f"calibrating on {where or 'a temporary folder on the local disk'}")
    if client is not None:
        result = measure(where, client, repeats=repeats, codecs=codecs, hours=hours)
    else:
        with dask_client(scheduler, quiet=quiet) as started:
            result = measure(where, started, repeats=repeats, codecs=codecs, hours=hours)
    if target is None:
        return result
    return dataclasses.replace(result, saved_to=str(save_profile(result.profile, target)))
