"""Load and run XMILE models with gmsim and with PySD in the same process, as medians and a ratio.

    python benchmarks/bench_xmile.py [--repeat N]

For ``teacup`` (240 Euler steps) and ``SIR`` (3,200 Euler steps) of the SD
test suite: the time to load the file (PySD: translate it to Python and import
that), to run it with its own sim_specs, and both together. PySD writes its
translation beside the model, so each of its loads works on a fresh copy in a
temporary folder. Each repeat times gmsim and PySD one after the other, so a
busy spell of the shared 2-core machine hits both; still expect noise of 10-30 %.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import gmsim
from gmsim.xmile import load_xmile
from gmsim.xmile.conformance import locate_suite

MODELS = {"teacup": "samples/teacup/teacup.xmile", "SIR": "samples/SIR/SIR.xmile"}


def stages_gmsim(path: Path) -> dict[str, Callable[[], object]]:
    model = load_xmile(path)
    return {
        "load": lambda: load_xmile(path),
        "run": lambda: gmsim.simulate(model),
        "load + run": lambda: gmsim.simulate(load_xmile(path)),
    }


def stages_pysd(path: Path, folder: str) -> dict[str, Callable[[], object]]:
    import pysd

    copies = iter(range(10**6))

    def fresh() -> str:
        target = Path(folder) / f"{path.stem}-{next(copies)}" / path.name
        target.parent.mkdir()
        shutil.copy(path, target)
        return str(target)

    model = pysd.read_xmile(fresh())
    return {
        "load": lambda: pysd.read_xmile(fresh()),
        "run": lambda: model.run(),
        "load + run": lambda: pysd.read_xmile(fresh()).run(),
    }


def paired_medians(a: Callable, b: Callable, repeat: int) -> tuple[float, float]:
    """Median seconds of ``a`` and of ``b``, timed in turn."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, times in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    suite = locate_suite(__file__)
    if suite is None:
        raise SystemExit("shared/sd-test-models not found; set GMSIM_SD_TEST_MODELS")
    import pysd

    print(
        f"median of {repeat}, gmsim {gmsim.__version__} vs PySD {pysd.__version__} (shared 2-core machine)"
    )
    print(f"  {'model':<8}{'stage':<14}{'gmsim ms':>10}{'PySD ms':>10}{'PySD / gmsim':>14}")
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
        warnings.simplefilter("ignore")
        for name, rel in MODELS.items():
            ours, theirs = stages_gmsim(suite / rel), stages_pysd(suite / rel, folder)
            for stage in ours:
                a, b = paired_medians(ours[stage], theirs[stage], repeat)
                print(f"  {name:<8}{stage:<14}{a * 1000:10.2f}{b * 1000:10.2f}{b / a:14.1f}")


if __name__ == "__main__":
    main()
