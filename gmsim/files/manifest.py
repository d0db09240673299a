"""Reproducibility manifests: what an output folder was made from, and with which software.

:func:`write_manifest` writes ``manifest.json`` beside an analysis's files: the
model file and its SHA-256, each scenario and its file, the uncertainty spec
(its file, hash, entries, and every parameter's resolved distribution), the
seed, the number of samples and runs, the run settings, the executor, the
versions of gmsim, Python and the libraries it used, the command and its
options as parsed, and the SHA-256 of every file written. With it, the same numbers can be made again.

Examples
--------
>>> import json, tempfile, pathlib, gmsim
>>> mc = gmsim.monte_carlo(runs=8, stop=6, seed=3, metrics=["effectiveness"])
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> info = json.loads(write_manifest(folder, mc).read_text())
>>> info["seed"], info["runs"], info["executor"]["executor"]
(3, 8, 'inprocess')
>>> len(info["model"]["sha256"])
64
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DEPENDENCIES", "build_manifest", "file_sha256", "versions", "write_manifest"]

DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "networkx",
    "matplotlib",
    "SALib",
    "tqdm",
    "dask",
    "distributed",
    "defusedxml",
)
"""Libraries whose versions a manifest records (those installed)."""

_RUN_KEYS = ("start", "stop", "dt", "method", "chunk_size", "levels", "resamples", "confidence")
_EXECUTOR_KEYS = ("executor", "workers", "scheduler")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of gmsim, Python, the platform and the installed :data:`DEPENDENCIES`."""
    from gmsim._version import __version__

    out = {"gmsim": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _source(path: str | None, definition: Any = None) -> dict[str, Any]:
    """A file and its hash; without a file, the hash of the object's definition."""
    if path and Path(path).is_file():
        return {"file": str(path), "sha256": file_sha256(path)}
    text = repr(definition).encode()
    return {"file": None, "sha256": hashlib.sha256(text).hexdigest(), "hashed": "definition"}


def build_manifest(result: Any, *, command: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a :class:`~gmsim.uncertainty.montecarlo.MonteCarloResult` or
    :class:`~gmsim.uncertainty.sensitivity.SensitivityResult`, as a plain dict.

    ``command`` is the command that made it: its name and options (``None``
    from Python)."""
    settings = dict(result.settings)
    sources = settings.get("sources", {})
    spec = result.spec
    analysis = "monte_carlo" if hasattr(result, "bands") else f"sensitivity ({result.method})"
    info: dict[str, Any] = {
        "analysis": analysis,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": dict(command) if command is not None else None,
        "model": {
            "name": result.model,
            **_source(sources.get("model"), sources.get("model_definition")),
        },
        "scenarios": [
            {"name": name, **_source(path, name)} for name, path in sources.get("scenarios", {}).items()
        ],
        "spec": {
            "name": spec.name,
            **_source(spec.path, spec),
            "entries": spec.to_dict()["uncertain"],
            "sampling": spec.sampling,
            "parameters": _parameters(result.space),
        },
        "seed": result.seed,
        "runs": result.runs,
        "metrics": [str(m) for m in result.metrics],
        "run": {k: settings[k] for k in _RUN_KEYS if settings.get(k) is not None},
        "executor": {k: settings[k] for k in _EXECUTOR_KEYS if k in settings},
        "versions": versions(),
    }
    if hasattr(result, "samples") and not callable(result.samples):
        info["samples"] = result.samples
    if "exact_percentiles" in settings:
        info["percentiles"] = {
            "values": list(result.percentiles),
            "method": "exact"
            if settings["exact_percentiles"]
            else "streamed histogram (gmsim.uncertainty.streaming)",
        }
    if getattr(result, "failures", None) is not None and analysis == "monte_carlo":
        info["failed_runs"] = len({f.sample for f in result.failures})
    return info


def _parameters(space) -> list[dict[str, Any]]:
    rows = space.table().to_dict("records")
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in rows
    ]


def write_manifest(
    folder: str | os.PathLike, result: Any, *, command: Mapping[str, Any] | None = None
) -> Path:
    """Write ``manifest.json`` into ``folder``, with the SHA-256 of every other file there."""
    folder = Path(folder)
    info = build_manifest(result, command=command)
    info["outputs"] = {
        p.name: file_sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "manifest.json"
    }
    target = folder / "manifest.json"
    target.write_text(json.dumps(info, indent=2, default=_plain) + "\n", encoding="utf-8")
    return target


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, Path):
        return str(x)
    return str(x)
