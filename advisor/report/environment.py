"""What the measurements were made with: versions, machine, commit, date and benchmark scale.

asv keeps the machine (``machine.json``, copied into each result file's
``params``), the commit, its date and the environment's variables. Versions
and the scale come from the results when a suite records them as parameter
values (params named ``scale``, ``python``, ``xarray``, ``dask``, ``zarr``,
``numcodecs``, ``zarr_format``) or the environment's variables
(``ADVISOR_BENCH_SCALE``); otherwise versions are this process's, and say so.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata

from advisor.report.asvresults import ResultSet

PACKAGES: tuple[str, ...] = ("xarray", "dask", "zarr", "numcodecs")
"""The libraries whose versions decide the measurements."""

SCALE_ENV = "ADVISOR_BENCH_SCALE"
"""The suites' scale variable (``tiny``, ``small``, ``full``)."""

DATE_FORMAT = "%Y-%m-%d %H:%M UTC"
"""How the page writes a moment: when it was made, a commit's date, when a run started."""

FROM_RESULTS = "results"
FROM_PROCESS = "this process"


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of the environment table: what, its value, and where the value comes from."""

    label: str
    value: str
    source: str = FROM_RESULTS


def installed_version(name: str) -> str:
    """The installed version of the distribution ``name``, or ``not installed``.

    Examples
    --------
    >>> installed_version("chunk-advisor") != "not installed", installed_version("no-such-dist")
    (True, 'not installed')
    """
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def recorded(results: ResultSet, name: str) -> list[str]:
    """The distinct values of parameter ``name`` across the records, in the order first seen."""
    seen = dict.fromkeys(
        str(value) for rec in results.records for key, value in rec.params if key == name
    )
    return list(seen)


def _join(values: Iterable[str]) -> str:
    return ", ".join(values)


def _date(value: datetime | None) -> str:
    return value.strftime(DATE_FORMAT) if value else "unknown"


def _memory(text: str) -> str:
    try:
        return f"{int(text) / 2**30:.1f} GiB"
    except ValueError:
        return text or "unknown"


def environment(results: ResultSet | None) -> list[Fact]:
    """The environment table: from the results where they say it, else from this process.

    Examples
    --------
    >>> facts = environment(None)
    >>> [f.label for f in facts][:3], facts[0].source
    (['python', 'xarray', 'dask'], 'this process')
    """
    facts: list[Fact] = []
    runs = results.runs if results else ()
    python = recorded(results, "python") if results else []
    facts.append(
        Fact("python", _join(python), FROM_RESULTS)
        if python
        else Fact("python", platform.python_version(), FROM_PROCESS)
    )
    for package in PACKAGES:
        values = recorded(results, package) if results else []
        facts.append(
            Fact(package, _join(values))
            if values
            else Fact(package, installed_version(package), FROM_PROCESS)
        )
    formats = recorded(results, "zarr_format") if results else []
    if formats:
        facts.append(Fact("zarr formats measured", _join(formats)))
    if not runs:
        facts.append(Fact("machine", platform.node() or "unknown", FROM_PROCESS))
        return facts
    machine = runs[0].machine_info
    facts += [
        Fact("machine", _join(dict.fromkeys(run.machine for run in runs))),
        Fact("cpu", f"{machine.get('cpu', 'unknown')} ({machine.get('arch', '?')})"),
        Fact("cores", machine.get("num_cpu", "unknown")),
        Fact("memory", _memory(machine.get("ram", ""))),
        Fact("os", machine.get("os", "unknown")),
        Fact("interpreter", _join(dict.fromkeys(run.python for run in runs if run.python))),
        Fact("commit", _join(dict.fromkeys(run.commit[:12] for run in runs))),
        Fact("commit date", _join(dict.fromkeys(_date(run.date) for run in runs))),
    ]
    started = [r.started_at for r in results.records if r.started_at] if results else []
    if started:
        facts.append(Fact("measured", f"{_date(min(started))} to {_date(max(started))}"))
    scale = recorded(results, "scale") if results else []
    scale += [run.env_vars[SCALE_ENV] for run in runs if SCALE_ENV in run.env_vars]
    facts.append(
        Fact("benchmark scale", _join(dict.fromkeys(scale)))
        if scale
        else Fact("benchmark scale", f"not recorded ({SCALE_ENV} when asv ran)", "")
    )
    return facts
