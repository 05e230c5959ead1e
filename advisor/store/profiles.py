"""Profile files: presets or JSON files by name, the calibration saved in the user's config folder,
and where a command's profile comes from (``--profile``, ``ADVISOR_PROFILE``, the saved one)."""

from __future__ import annotations

import os
from pathlib import Path

from advisor.plan.errors import AdvisorError
from advisor.plan.profile import BUILT_IN, PRESETS, PROFILE_ENV, PROFILE_NAMES, StorageProfile
from advisor.store.publish import refuse_url, write_text


def load_profile(spec: str | StorageProfile | None) -> StorageProfile:
    """A preset name, a JSON file written by :meth:`StorageProfile.to_json`, or a profile.

    Examples
    --------
    >>> load_profile("object-store").latency
    0.05
    >>> load_profile(None).name
    'local'
    """
    if spec is None:
        return PRESETS["local"]
    if isinstance(spec, StorageProfile):
        return spec
    if spec in PRESETS:
        return PRESETS[spec]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise AdvisorError(
            f"unknown storage profile {spec!r}: use {', '.join(PROFILE_NAMES)} or a JSON file path"
        )
    try:
        return StorageProfile.from_json(path.read_text())
    except AdvisorError as exc:
        raise AdvisorError(f"{path}: {exc} (fix the file or rerun advisor calibrate)") from None


def default_profile_path() -> Path:
    """Where ``advisor calibrate`` saves the profile: ``profile.json`` in the user's config folder.

    Examples
    --------
    >>> default_profile_path().name
    'profile.json'
    """
    import platformdirs

    return Path(platformdirs.user_config_dir("chunk-advisor")) / "profile.json"


def find_profile(spec: str | None = None) -> str | None:
    """The profile a command uses: ``spec`` (``--profile``), else ``ADVISOR_PROFILE``, else
    the saved calibration if there is one, else None (the built-in local defaults).

    Pass the result to :func:`resolve_profile` or as ``recommend(profile=...)``.
    """
    chosen = spec or os.environ.get(PROFILE_ENV) or None
    if chosen is None and (path := default_profile_path()).is_file():
        chosen = str(path)
    return chosen


def resolve_profile(spec: str | StorageProfile | None) -> tuple[StorageProfile, str]:
    """The profile of ``spec`` (as :func:`load_profile`) and a phrase saying where it came from:
    a calibration file's path, with where it was measured when the file says
    (:meth:`StorageProfile.measured_on`: ``/path/profile.json (measured on s3 at host:port,
    zarr 3.1.6)``).

    Examples
    --------
    >>> resolve_profile(None)[1], resolve_profile("object-store")[1]
    ('built-in local defaults', 'built-in object-store preset')
    """
    profile = load_profile(spec)
    if spec is None or spec == "local":
        return profile, BUILT_IN
    if isinstance(spec, StorageProfile):
        return profile, f"given profile {spec.name!r}"
    if spec in PRESETS:
        return profile, f"built-in {spec} preset"
    where = profile.measured_on()
    path = str(Path(spec).expanduser().resolve())
    return profile, f"{path} (measured on {where})" if where else path


def calibration_path(path: str | Path | None = None) -> Path:
    """Where ``advisor calibrate`` saves: ``path`` (``--profile``), else ``ADVISOR_PROFILE``
    when it names a file (not a preset), else :func:`default_profile_path`; never a folder.

    Examples
    --------
    >>> calibration_path("~/profiles/fast.json").name
    'fast.json'
    """
    env = os.environ.get(PROFILE_ENV)
    if path is not None:
        target = Path(path)
    elif env and env not in PRESETS:
        target = Path(env)
    else:
        target = default_profile_path()
    refuse_url(target, "--profile")
    target = target.expanduser()
    if target.is_dir():
        raise AdvisorError(f"--profile {target} is a folder: give a file name, e.g. profile.json")
    return target


def save_profile(profile: StorageProfile, path: str | Path | None = None) -> Path:
    """Write ``profile`` as JSON to ``path`` (default :func:`default_profile_path`) atomically."""
    target = Path(path).expanduser() if path is not None else default_profile_path()
    if target.is_dir():
        raise AdvisorError(
            f"profile path {target} is a folder: give a file name, e.g. profile.json"
        )
    return write_text(
        target, profile.to_json() + "\n", what="the profile", hint="choose another --profile"
    )
