"""Read factor model files (TOML) into :class:`~gmsim.factor.model.Model` objects.

Every problem of a file is collected, each with the file name and the line it
is on, and raised together as one :class:`~gmsim.errors.ModelError`. The
format is documented in the README ("Model file reference") and in
``models/gov_microblog.toml``, which is commented throughout.

Examples
--------
>>> model = load_factor_model()
>>> model.name
'Government microblog effectiveness (Zheng 2012), v2: launch and abandonment'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gmsim.errors import ModelError, Problem
from gmsim.factor.checks import build_checks, check_checks
from gmsim.factor.checks import structure_problems as check_table_problems
from gmsim.factor.flows import Flow
from gmsim.factor.model import Dynamics, Factor, Link, Model, Simulation
from gmsim.files import toml
from gmsim.files.toml import Keys, Library, check_keys, locate, located, read_toml

__all__ = ["DEFAULT_MODEL", "MODELS", "default_model_path", "load_factor_model"]

DEFAULT_MODEL = "gov_microblog"
"""The name of the paper's model in the shipped library."""

MODELS = Library("gmsim.models")
"""The shipped model library (``models/`` in the source tree)."""

TOP: Keys = {
    "model": (toml.table, "table", True),
    "simulation": (toml.table, "table", False),
    "dynamics": (toml.table, "table", False),
    "factors": (toml.table, "table", True),
    "links": (toml.array, "array of tables [[links]]", False),
    "flows": (toml.array, "array of tables [[flows]]", False),
    "checks": (toml.array, "array of tables [[checks]]", False),
}
MODEL: Keys = {
    "name": (toml.string, "string", True),
    "time_unit": (toml.string, "string", False),
    "source": (toml.string, "string", False),
    "description": (toml.string, "string", False),
}
SIMULATION: Keys = {
    "start": (toml.number, "number", False),
    "stop": (toml.number, "number", False),
    "dt": (toml.number, "number", False),
    "method": (toml.string, "string", False),
}
DYNAMICS: Keys = {
    "steepness": (toml.number, "number", False),
    "equilibrium": (toml.boolean, "true or false", False),
}
FACTOR: Keys = {
    "label": (toml.string, "string", False),
    "group": (toml.string, "string", True),
    "kind": (toml.string, "string", False),
    "initial": (toml.number, "number", False),
    "tau": (toml.number, "number", False),
    "of": (toml.table, "table such as { a = 1, b = 1 }", False),
    "bias": (toml.number, "number", False),
    "reference": (toml.number, "number", False),
    "tau_rise": (toml.number, "number", False),
    "tau_fall": (toml.number, "number", False),
    "decide_every": (toml.number, "number", False),
    "decide_offset": (toml.number, "number", False),
    "source": (toml.string, "string", False),
    "note": (toml.string, "string", False),
}
LINK: Keys = {
    "from": (toml.string, "string", True),
    "to": (toml.string, "string", True),
    "weight": (toml.number, "number", True),
    "delay": (toml.number, "number", False),
    "order": (toml.whole, "whole number", False),
    "kind": (toml.string, "string", False),
    "moderated_by": (toml.table, "table such as { factor = -0.5 }", False),
    "source": (toml.string, "string", False),
    "quote": (toml.string, "string", False),
}
FLOW: Keys = {
    "name": (toml.string, "string", True),
    "into": (toml.string, "string", False),
    "from": (toml.string, "string", False),
    "rate": (toml.number, "number", True),
    "times": (toml.strings, "array of factor ids", False),
    "gap": (toml.strings, "array of factor ids", False),
    "balance": (toml.boolean, "true or false", False),
    "source": (toml.string, "string", False),
    "quote": (toml.string, "string", False),
}
REQUIRED_BY_KIND = {
    "endogenous": ("initial",),
    "exogenous": ("initial",),
    "composite": ("of",),
    "stock": ("initial",),
}
TIMING = ("tau", "tau_rise", "tau_fall", "decide_every", "decide_offset")
NOT_FOR_KIND = {
    "exogenous": ("of", "bias", *TIMING),
    "composite": ("initial", "bias", "reference", *TIMING),
    "endogenous": ("of",),
    "stock": ("of", "bias", *TIMING),
}


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def default_model_path() -> Path:
    """Path of the default model shipped with gmsim (works after a plain install)."""
    return MODELS.path(DEFAULT_MODEL)


def load_factor_model(path: str | os.PathLike | None = None) -> Model:
    """Load a factor model file (TOML); ``None`` loads the default model of the paper.

    :func:`gmsim.load_model` reads XMILE files too, by their extension.

    Raises
    ------
    ModelError
        Listing every problem of the file, each with its line.

    Examples
    --------
    >>> len(load_factor_model().factors) >= 34
    True
    """
    path = default_model_path() if path is None else Path(path)
    data, text = read_toml(path)
    problems = check_structure(data)
    if problems:
        problems += _semantic_problems_of_the_rest(data, problems)
        raise ModelError([str(located(p, path, text)) for p in problems])
    try:
        model = build_model(data, path=str(path), text=text)
    except ModelError as exc:
        raise ModelError([str(located(p, path, text)) for p in exc.problems_found]) from None
    sim = model.simulation
    late = [
        p
        for p in check_checks(model.checks, model.factor_ids, sim.start, sim.stop)
        if p.key[-1] in ("at", "over")
    ]
    late += decisions_beyond(model)
    if late:
        raise ModelError([str(located(p, path, text)) for p in late])
    return model


def decisions_beyond(model: Model) -> list[Problem]:
    """Decided factors whose period is longer than the file's own horizon (no decision would
    ever be taken). Checked when a file loads, like its claims' times: a run made shorter on
    purpose (``--stop 6``) simply ends before the first decision."""
    sim = model.simulation
    horizon = sim.stop - sim.start
    return [
        Problem(
            ("factors", f.id, "decide_every"),
            f"{f.decide_every:g} is beyond the horizon ({horizon:g}); no decision would be "
            "taken. Use a shorter period or a longer [simulation] stop",
        )
        for f in model.factors
        if f.decided and f.decide_every > horizon
    ]


def _semantic_problems_of_the_rest(data: dict[str, Any], found: list[Problem]) -> list[Problem]:
    """Semantic problems of the parts of a file that are structurally sound.

    So that one `gmsim validate` lists a range error next to a typo. Factors and
    links with structural problems are left out, and so is anything that would
    only repeat them (a link to a left-out factor).
    """
    if any(len(p.key) < 2 or p.key[0] not in ("factors", "links") for p in found):
        return []  # [model], [simulation] or the top level are broken: nothing sound to check
    bad_factors = {p.key[1] for p in found if p.key[0] == "factors"}
    bad_links = {p.key[1] for p in found if p.key[0] == "links"}
    all_links = data.get("links", [])
    kept = [i for i in range(len(all_links)) if i not in bad_links]
    rest = {
        **data,
        "factors": {k: v for k, v in data["factors"].items() if k not in bad_factors},
        "links": [all_links[i] for i in kept],
    }
    try:
        build_model(rest)
    except ModelError as exc:
        out = []
        for p in exc.problems_found:
            if p.key[:1] == ("links",) and len(p.key) > 1 and isinstance(p.key[1], int):
                p = Problem(("links", kept[p.key[1]], *p.key[2:]), p.message)
            if not any(f"'{fid}'" in p.message for fid in bad_factors):
                out.append(p)
        return out
    return []


def check_structure(data: dict[str, Any]) -> list[Problem]:
    """Problems of a parsed model file that stop a Model being built."""
    problems = check_keys(data, TOP, ())
    for section, spec in (("model", MODEL), ("simulation", SIMULATION), ("dynamics", DYNAMICS)):
        if isinstance(data.get(section), dict):
            problems += check_keys(data[section], spec, (section,))
    factors = data.get("factors")
    if isinstance(factors, dict):
        if not factors:
            problems.append(Problem(("factors",), "the model has no factors; add [factors.<id>] tables"))
        for fid, table in factors.items():
            key = ("factors", fid)
            if not isinstance(table, dict):
                problems.append(Problem(key, f"expected a table [factors.{fid}], got {table!r}"))
                continue
            problems += check_keys(table, FACTOR, key)
            kind = table.get("kind", "endogenous")
            kind = kind if isinstance(kind, str) else ""  # not a string: check_keys said so
            for name in REQUIRED_BY_KIND.get(kind, ()):
                if name not in table:
                    problems.append(
                        Problem((*key, name), f"missing required key for {_article(kind)} {kind} factor")
                    )
            for name in NOT_FOR_KIND.get(kind, ()):
                if name in table:
                    problems.append(
                        Problem(
                            (*key, name), f"has no meaning for {_article(kind)} {kind} factor; remove it"
                        )
                    )
            if kind == "endogenous":
                problems += _timing_problems(table, key)
            if isinstance(table.get("of"), dict):
                for part, w in table["of"].items():
                    if not toml.number(w):
                        problems.append(Problem((*key, "of", part), f"expected a number, got {w!r}"))
    links = data.get("links", [])
    if isinstance(links, list):
        for i, table in enumerate(links):
            if not isinstance(table, dict):
                problems.append(Problem(("links", i), "expected a [[links]] table"))
                continue
            problems += check_keys(table, LINK, ("links", i))
            for m, v in (
                (table.get("moderated_by") or {}).items()
                if isinstance(table.get("moderated_by"), dict)
                else ()
            ):
                if not toml.number(v):
                    problems.append(
                        Problem(("links", i, "moderated_by", m), f"expected a number, got {v!r}")
                    )
    flows = data.get("flows", [])
    if isinstance(flows, list):
        for i, table in enumerate(flows):
            if not isinstance(table, dict):
                problems.append(Problem(("flows", i), "expected a [[flows]] table"))
                continue
            problems += check_keys(table, FLOW, ("flows", i))
    problems += check_table_problems(data.get("checks", []))
    return problems


def _timing_problems(table: dict[str, Any], key: tuple[str | int, ...]) -> list[Problem]:
    """How an endogenous factor moves: `tau`, `tau_rise` + `tau_fall`, or `decide_every`."""
    given = [k for k in ("tau", "tau_rise", "decide_every") if k in table]
    if "tau_fall" in table and "tau_rise" not in table:
        given.append("tau_fall")
    if not given:
        return [
            Problem(
                (*key, "tau"),
                "missing required key for an endogenous factor: give `tau` (or `tau_rise` and "
                "`tau_fall`, or `decide_every`)",
            )
        ]
    if len(given) > 1:
        names = " and ".join(f"`{k}`" for k in given)
        return [
            Problem(
                (*key, given[1]),
                f"{names} both set how the level moves; keep one (`tau`, `tau_rise` + "
                "`tau_fall`, or `decide_every`)",
            )
        ]
    if "decide_offset" in table and "decide_every" not in table:
        return [Problem((*key, "decide_offset"), "belongs with `decide_every`; add it or remove this")]
    return []


def build_model(data: dict[str, Any], *, path: str | None = None, text: str | None = None) -> Model:
    """Build a Model from parsed, structurally valid file data (semantic checks run here)."""
    meta = data["model"]
    factors = tuple(
        Factor(
            id=fid,
            label=t.get("label", ""),
            group=t["group"],
            kind=t.get("kind", "endogenous"),
            initial=float(t.get("initial", 0.5)),
            tau=float(t.get("tau", 1.0)),
            of=tuple(t.get("of", {}).items()),
            bias=t.get("bias"),
            source=t.get("source", ""),
            note=t.get("note", ""),
            reference=t.get("reference"),
            tau_rise=t.get("tau_rise"),
            tau_fall=t.get("tau_fall"),
            decide_every=t.get("decide_every"),
            decide_offset=t.get("decide_offset", 0.0),
        )
        for fid, t in data["factors"].items()
    )
    links = tuple(
        Link(
            cause=t["from"],
            effect=t["to"],
            weight=float(t["weight"]),
            delay=float(t.get("delay", 0.0)),
            order=t.get("order", 1),
            source=t.get("source", ""),
            quote=t.get("quote", ""),
            kind=t.get("kind", "link"),
            moderated_by=tuple(t.get("moderated_by", {}).items()),
        )
        for t in data.get("links", [])
    )
    flows = tuple(
        Flow(
            name=t["name"],
            into=t.get("into"),
            from_=t.get("from"),
            rate=float(t["rate"]),
            times=tuple(t.get("times", ())),
            gap=tuple(t.get("gap", ())),
            balance=t.get("balance", False),
            source=t.get("source", ""),
            quote=t.get("quote", ""),
        )
        for t in data.get("flows", [])
    )
    tables = data.get("checks", [])
    lines = [locate(text, ("checks", i)) if text else None for i in range(len(tables))]
    checks = build_checks(tables, lines)
    sim = {k: data.get("simulation", {}).get(k) for k in SIMULATION}
    dyn = {k: data.get("dynamics", {}).get(k) for k in DYNAMICS}
    return Model(
        name=meta["name"],
        factors=factors,
        links=links,
        flows=flows,
        checks=checks,
        simulation=Simulation(**{k: v for k, v in sim.items() if v is not None}),
        dynamics=Dynamics(**{k: v for k, v in dyn.items() if v is not None}),
        time_unit=meta.get("time_unit", "month"),
        source=meta.get("source", ""),
        description=meta.get("description", ""),
        path=path,
    )
