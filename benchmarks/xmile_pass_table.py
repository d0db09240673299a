"""Run the SD community's XMILE test suite and write the pass table, docs/xmile-conformance.md.

    python benchmarks/xmile_pass_table.py [--pysd] [--out docs/xmile-conformance.md]

Each ``.xmile`` file of ``shared/sd-test-models`` (or ``$GMSIM_SD_TEST_MODELS``)
is loaded, run with its own sim_specs and compared with its expected output
by the suite's rule (:mod:`gmsim.xmile.conformance`). ``--pysd`` also runs
every file with PySD, on copies in a temporary folder (PySD writes its
translation beside the model), and scores it by the same rule.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import gmsim
from gmsim.xmile import XmileWarning, load_xmile
from gmsim.xmile.conformance import check, locate_suite, reference_of

HEADER = """# XMILE conformance

gmsim imports XMILE models (`gmsim.load_model("model.xmile")`, `gmsim run model.xmile`) and is
checked against the system-dynamics community's test suite (`SDXorg/test-models`, the part
written in XMILE with expected output: {total} files in `shared/sd-test-models`). The rule is
the suite's own: a file passes when `|a - b| <= 1e-3 * |b| + 1e-5` for every shared column
and time, names compared case-insensitively with `_` read as a space, times matched to the
nearest saved step. The table is written by `benchmarks/xmile_pass_table.py`; the test
`tests/test_xmile_conformance.py` checks the same thing file by file.

**gmsim passes {passed} of {total}.**{pysd_line}

## What the failures are

- Eight array tests give an equation as `???` (a converter could not translate the original)
  and four macro tests call a `... MACRO(...)` that the file never defines. These are broken
  in themselves; gmsim refuses them with one error naming the file and line, the variable and
  the equation.
- `active_initial`: the expected output starts `Stock A` at 45, from Vensim's
  `ACTIVE INITIAL(Time, 45)`; the conversion to XMILE kept only `Time` as the equation of
  `Value A`, so by the file the stock starts at 0. No reading of the file gives 45.

## How the harder files pass

- `bpowers-hares_and_lynxes_modules` uses modules: each `{{Enter equation ...}}` placeholder is
  only a comment on a module input, and every such input is connected to another module's
  output, as in Stella. An input left unconnected with such an equation is an error.
- `non_negative_flows` (both files) leave a `<flow>` tag open. gmsim closes it where the next
  end tag needs it and reads the variables inside it as siblings, as lenient XML readers do,
  and says so with an `XmileWarning`.
- Files written by Vensim or xmutil keep Vensim's meaning of `INT` (truncation) and `MOD`
  (sign of the dividend), as `rounding` expects, and Vensim's Runge-Kutta, which holds `TIME`
  and the test inputs at their value at the start of each step, as `zeroled_decimals` expects.
  Other files get XMILE's floor, floored modulus, and a clock that moves within the step.

## What gmsim reads

- Stocks, flows and auxiliaries; units are kept as labels and not checked. Euler and RK4 from
  `<sim_specs>` (RK2 runs as RK4, with a warning); `gmsim.simulate` also offers rk45 and lsoda.
- Operators and `IF THEN ELSE` with XMILE's precedence; `ABS EXP LN LOG10 SQRT SIN COS TAN
  ARCSIN ARCCOS ARCTAN SINH COSH TANH INT MOD ROUND MIN MAX SAFEDIV (XIDZ, ZIDZ) PI TIME DT
  STARTTIME STOPTIME`; `STEP RAMP PULSE`; `DELAY DELAY1 DELAY3 DELAYN SMTH1 SMTH3 SMTHN TREND
  FORCST INIT PREVIOUS` (and Vensim's `ACTIVE INITIAL`).
- Graphical functions: continuous, extrapolate and discrete, with `xscale` or `xpts`, inline or
  named and called like a function.
- Non-negative stocks and flows, per variable or through `<behavior>`.
- Arrays: apply-to-all and element-by-element equations, number lists, several dimensions,
  `*`, ranges, `@n`, subranges, subscripts computed while running, and `SUM MEAN MIN MAX PROD
  STDDEV SIZE` over arrays and slices.
- Macros, with default parameters and with their own stocks (one copy per use); modules with
  their connections.
- Not read, each with an error naming the variable: conveyors and queues, random functions,
  recursive macros, macros with their own `<sim_specs>`, array transposition (`'`), and modules
  in other files (gmsim opens nothing but the model file).
- Refused, with the file and line: a variable named `TIME`, `DT`, `STARTTIME`, `STOPTIME`, `PI`
  or `INF` (equations would read the built-in in its place; XMILE 3.2.2.5 reserves them), at the
  top level one named `run` or `scenario` (columns of the tables of runs), and names holding
  control characters.

## File by file

| file | gmsim | {pysd_head}note |
| --- | --- | {pysd_rule}--- |
"""


def run_gmsim(path: Path) -> tuple[bool, str]:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = gmsim.simulate(load_xmile(path))
    except gmsim.GmsimError as exc:
        return False, str(exc).replace(str(path), path.name)
    comparison = check(result.time, {v: result[v] for v in result.variables}, reference_of(path))
    mended = [w for w in caught if issubclass(w.category, XmileWarning)]
    note = comparison.summary() + ("; read leniently (an unclosed tag)" if mended else "")
    return comparison.passed, note


def run_pysd(path: Path, folder: Path) -> bool:
    import pysd

    copy = folder / path.parent.name / path.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, copy)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pysd.read_xmile(str(copy)).run()
    except Exception:  # any failure of the other engine is a failure to pass
        return False
    series = {str(c): frame[c].to_numpy(dtype=float) for c in frame.columns if frame[c].dtype != object}
    return check(frame.index.to_numpy(dtype=float), series, reference_of(path)).passed


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysd", action="store_true", help="also score PySD by the same rule")
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "xmile-conformance.md")
    )
    args = parser.parse_args()
    suite = locate_suite(__file__)
    if suite is None:
        raise SystemExit("shared/sd-test-models not found; set GMSIM_SD_TEST_MODELS")
    files = sorted(suite.rglob("*.xmile"))
    rows, passed, pysd_passed = [], 0, 0
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for path in files:
            ok, note = run_gmsim(path)
            passed += ok
            other = ""
            if args.pysd:
                theirs = run_pysd(path, Path(folder))
                pysd_passed += theirs
                other = f"{'pass' if theirs else 'fail'} | "
            name = path.relative_to(suite).as_posix()
            rows.append(f"| `{name}` | {'pass' if ok else '**fail**'} | {other}{_cell(note)} |")
    pysd_line = ""
    if args.pysd:
        import pysd

        pysd_line = (
            f" PySD {pysd.__version__}, scored by the same rule on the same files, passes {pysd_passed}."
        )
    text = (
        HEADER.format(
            total=len(files),
            passed=passed,
            pysd_line=pysd_line,
            pysd_head="PySD | " if args.pysd else "",
            pysd_rule="--- | " if args.pysd else "",
        )
        + "\n".join(rows)
        + "\n"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_suffix(".tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, out)
    print(f"gmsim passes {passed} of {len(files)}" + (f"; PySD {pysd_passed}" if args.pysd else ""))
    print(f"wrote {out} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
