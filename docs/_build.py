"""Write the generated pages of the user guide: the CLI reference and the Python API reference.

    python docs/_build.py          # rewrite docs/cli.md and docs/api.md
    python docs/_build.py --check  # exit 1 if they differ from what the code says

Both pages are made from the code itself (argparse help, docstrings), so they
cannot drift from it; `tests/test_docs.py` runs the check and every example.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # document the checkout this file lives in, not another install
os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal: fix it for reproducible pages

# One worked example per command: (what it shows, the command line). Tests run each one.
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "run": [
        (
            "Run the paper's model (the launch: the account opens at month 0) over its horizon and write the trajectories and two plots:",
            "gmsim run --out results",
        ),
        (
            "Run a scenario of the library with an adaptive method, for 48 months:",
            "gmsim run --scenario attention-shift --method rk45 --stop 48 --out results-shift",
        ),
        (
            "Draw an agency's observed series beside the model (synthetic here: made by the model "
            "with tau:training = 6), on the figures and on DIR/variables.png:",
            "gmsim run --data models/data/synthetic-training-tau6.csv --variable training "
            "--stop 24 --out results-data",
        ),
    ],
    "validate": [
        (
            "List every problem of a model file (exit 0 when there is none):",
            "gmsim validate models/gov_microblog.toml",
        )
    ],
    "show": [("The factors by group and the links of the default model:", "gmsim show")],
    "scenarios": [
        ("The scenario library with descriptions:", "gmsim scenarios"),
        ("One scenario's interventions in words:", "gmsim scenarios rotation-3m"),
    ],
    "compare": [
        (
            "Rotation policies side by side against the baseline:",
            "gmsim compare --scenario full-time-posts --scenario rotation-6m "
            "--scenario rotation-3m --out compare-rotation",
        )
    ],
    "loops": [
        ("Every feedback loop of the default model, shortest first:", "gmsim loops --out loops"),
        (
            "Which loops drive the outcome after superiors' attention shifts, against the baseline:",
            "gmsim loops --scenario attention-shift --dominance --out loops-shift",
        ),
    ],
    "diagram": [
        (
            "The causal loop diagram with loop R1 highlighted:",
            "gmsim diagram --loop R1 --out diagram.svg",
        )
    ],
    "uncertainty": [
        (
            "How sure is the effect of a training programme, with every weight uncertain "
            "by ±20 %? Bands, and how often it beats the baseline:",
            "gmsim uncertainty --spec models/uncertainty/every_weight_20.toml "
            "--scenario training-program --runs 200 --out bands",
        )
    ],
    "sensitivity": [
        (
            "Which weights decide what full-time posts achieve? Morris screening (the "
            "baseline is at rest, so sensitivity is asked of a scenario):",
            "gmsim sensitivity --spec models/uncertainty/every_weight_20.toml "
            "--scenario full-time-posts --method morris --samples 8 --out morris",
        )
    ],
    "export": [
        (
            "The default model as XMILE for Stella or Vensim:",
            "gmsim export --to xmile --out gov_microblog.xmile",
        )
    ],
    "report": [
        (
            "One HTML file for readers who do not code:",
            "gmsim report --scenario attention-shift --scenario full-time-posts --out report.html",
        )
    ],
    "check": [
        (
            "Test every claim the model file states, each citing the paper, and keep the table:",
            "gmsim check --out checks",
        )
    ],
    "calibrate": [
        (
            "Fit training's adjustment time to a series (synthetic: made by the model itself "
            "with tau:training = 6, so the fit should find 6):",
            "gmsim calibrate --data models/data/synthetic-training-tau6.csv --fit tau:training "
            "--stop 24 --dt 0.25 --out fit",
        )
    ],
    "elicit": [
        (
            "An empty ratings sheet for experts, one row per link with its section and quote:",
            "gmsim elicit --template --out ratings",
        )
    ],
    "explore": [
        (
            "Levers and trajectories in the browser, starting from a library scenario "
            "(serves until stopped with Ctrl+C):",
            "gmsim explore --scenario attention-shift",
        )
    ],
}


def cli_page() -> str:
    from gmsim.cli import _commands, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = [
        "# Command-line reference",
        "",
        "<!-- generated by docs/_build.py from the commands' own help; do not edit by hand -->",
        "",
        "Every command is a thin shell over the Python API (see [api.md](api.md)). A `MODEL` "
        "may be a gmsim model file (`.toml`) or an XMILE file (`.xmile`, `.stmx`, `.itmx`, "
        "`.xml`); left out, it is the paper's default model. Bad input prints one message "
        "naming the file and the line or key, and exits with code 2; output folders are "
        "written all at once or not at all, never over a folder of yours or a file the command "
        "reads, and Ctrl-C or SIGTERM leaves nothing half-written.",
        "",
    ]
    for name in _commands():
        command = sub.choices[name]
        out += [f"## `gmsim {name}`", "", command.description or command.format_usage(), ""]
        for text, line in EXAMPLES.get(name, []):
            out += [text, "", "```bash", line, "```", ""]
        out += ["```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(out)


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def _signature(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def api_page() -> str:
    import gmsim

    names = sorted(set(gmsim.__all__) | set(gmsim._LAZY), key=str.lower)
    out = [
        "# Python API reference",
        "",
        "<!-- generated by docs/_build.py from the docstrings; do not edit by hand -->",
        "",
        "Everything below is importable from the top-level package: `import gmsim`, then "
        "`gmsim.NAME`. Options are keyword-only. Each entry gives the signature and the first "
        "paragraph of the docstring; `help(gmsim.NAME)` shows the whole docstring with examples.",
        "",
    ]
    for name in names:
        if name.startswith("_"):
            continue
        obj = getattr(gmsim, name)
        module = gmsim._LAZY.get(name) or getattr(obj, "__module__", "gmsim")
        if inspect.isclass(obj):
            out += [f"## `gmsim.{name}` (class, `{module}`)", "", _summary(obj), ""]
            methods = [
                (m, f)
                for m, f in inspect.getmembers(obj)
                if not m.startswith("_")
                and (inspect.isfunction(f) or isinstance(f, property))
                and m in obj.__dict__
            ]
            for m, f in methods:
                target = f.fget if isinstance(f, property) else f
                sig = "" if isinstance(f, property) else _signature(f)
                out.append(f"- `{m}{sig}` — {_summary(target)}")
            out.append("")
        elif callable(obj):
            out += [f"## `gmsim.{name}{_signature(obj)}`", "", f"In `{module}`. {_summary(obj)}", ""]
        else:
            out += [f"## `gmsim.{name}`", "", f"`{obj!r}`", ""]
    return "\n".join(out)


def rst_to_markdown(doc: str) -> str:
    """Turn a NumPy-style module docstring into Markdown: literal blocks (``::``), tables
    and doctest examples become fenced blocks, section underlines become headings."""
    lines = inspect.cleandoc(doc).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt and set(nxt) == {"-"} and len(nxt) >= len(line.strip()) > 0:
            out += [f"### {line.strip()}", ""]
            i += 2
            continue
        if line.strip() and set(line.strip()) <= {"=", " "} and "=" in line:  # a simple table
            block = [line]
            i += 1
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```text", *block, "```"]
            continue
        if line.lstrip().startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```python", *block, "```"]
            continue
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1].rstrip(":") + ":" if line.strip() != "::" else "")
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += [
                "",
                "```toml" if "=" in "".join(block) and "[" in "".join(block) else "```",
                *block,
                "```",
                "",
            ]
            continue
        out.append(line.replace("``", "`"))
        i += 1
    return "\n".join(out)


def scenarios_page() -> str:
    import gmsim.scenario as scenario

    out = [
        "# Scenario reference",
        "",
        "<!-- generated by docs/_build.py from gmsim/scenario.py and the library; do not edit by hand -->",
        "",
        rst_to_markdown(scenario.__doc__),
        "",
        "## The scenario library",
        "",
        "Run one with `gmsim run --scenario NAME`, compare several with `gmsim compare`. "
        "The files are in `models/scenarios/`; copy one to start your own.",
        "",
    ]
    for s in map(scenario.load_scenario, scenario.list_scenarios()):
        out += [f"### `{s.name}`", "", s.description, ""]
        out += [f"- {line}" for line in s.describe()] + [""]
    return "\n".join(out)


def uncertainty_page() -> str:
    from importlib import resources

    import gmsim.uncertainty.montecarlo as ensemble
    import gmsim.uncertainty.sensitivity as sensitivity
    import gmsim.uncertainty.spec as spec

    out = [
        "# Uncertainty and sensitivity reference",
        "",
        "<!-- generated by docs/_build.py from gmsim/spec.py, gmsim/ensemble.py and "
        "gmsim/sensitivity.py; do not edit by hand -->",
        "",
        "## Uncertainty specs",
        "",
        rst_to_markdown(spec.__doc__).split("\n", 1)[1],
        "",
        "Specs shipped with gmsim (`models/uncertainty/`):",
        "",
    ]
    for path in sorted(resources.files("gmsim.models.uncertainty").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".toml"):
            loaded = spec.load_spec(path)
            out.append(f"- `{path.name}`: {loaded.name}")
    out += [
        "",
        "## Monte Carlo ensembles",
        "",
        rst_to_markdown(ensemble.__doc__).split("\n", 1)[1],
        "",
        "## Global sensitivity",
        "",
        rst_to_markdown(sensitivity.__doc__).split("\n", 1)[1],
    ]
    return "\n".join(out)


PAGES = {
    "cli.md": cli_page,
    "api.md": api_page,
    "scenarios.md": scenarios_page,
    "uncertainty.md": uncertainty_page,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, make in PAGES.items():
        with redirect_stdout(io.StringIO()):
            text = make() + "\n"
        path = DOCS / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python docs/_build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    importlib.import_module("gmsim")
    sys.exit(main())
