"""Uncertainty specs: which parameters are uncertain, how, and the seed.

A spec is data (a TOML file or an :class:`UncertaintySpec` built in Python).
Each ``[[uncertain]]`` entry picks parameters, one by name or a group at a
time, and gives them a distribution; later entries replace earlier ones for
the parameters they pick, so a broad rule can come first and exceptions after::

    [spec]
    name = "every weight ±20 %"
    seed = 2012

    [[uncertain]]
    every = "weight"            # every link weight ("tau", "initial" too)
    distribution = "uniform"
    relative = 0.2              # nominal × (1 ± 0.2), kept inside [-1, 1]

    [[uncertain]]
    every = "weight"
    into = "funding"            # every link into funding
    distribution = "normal"
    relative_sd = 0.25          # truncated to the valid range [-1, 1]

    [[uncertain]]
    parameter = "tau:training"
    distribution = "triangular"
    low = 2
    mode = 4
    high = 8

Distributions: ``uniform`` (``low``/``high``, or ``relative``, or
``plus_minus`` around the nominal value), ``triangular`` (the same, with an
optional ``mode`` that defaults to the nominal value) and ``normal``
(``mean``, default the nominal value; ``sd`` or ``relative_sd``; optional
``low``/``high``), always truncated to the parameter's valid range. A spec
resolved against a compiled :class:`~gmsim.core.system.System` becomes a
:class:`~gmsim.uncertainty.sampling.ParameterSpace`: one :class:`~gmsim.uncertainty.sampling.Marginal`
per parameter, which turns points of the unit cube into parameter values.

Examples
--------
>>> import gmsim
>>> spec = UncertaintySpec.every_weight(0.2, seed=1)
>>> space = spec.resolve(gmsim.load_model().compile())
>>> m = space.marginal("weight:leadership_attention->staff_capacity")  # 0.8 +- 20 %
>>> m.kind, round(m.low, 3), round(m.high, 3)
('uniform', 0.64, 0.96)
>>> space.sample(0, 3, seed=1).shape == (3, len(space.names))
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gmsim.core.system import System
from gmsim.errors import Problem, SpecError, did_you_mean
from gmsim.files.toml import (
    Library,
    array,
    check_keys,
    located,
    number,
    read_toml,
    string,
    strings,
    table,
    whole,
)
from gmsim.uncertainty.sampling import (
    DISTRIBUTION_KEYS,
    DISTRIBUTIONS,
    SAMPLINGS,
    Distribution,
    ParameterSpace,
    distribution_problems,
    valid_range,
)

__all__ = [
    "DISTRIBUTIONS",
    "SPECS",
    "Distribution",
    "SpecError",
    "Uncertain",
    "UncertaintySpec",
    "distribution_problems",
    "list_specs",
    "load_spec",
    "nominal_values",
    "parse_spec",
    "spec_library",
]

SPECS = Library("gmsim.models.uncertainty")
"""The specs shipped with gmsim (``models/uncertainty/`` in the source tree)."""


def _key_error(key: str, message: str) -> SpecError:
    error = SpecError(message)
    error.key = key
    return error


# -- entries of a spec -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uncertain:
    """One ``[[uncertain]]`` entry: which parameters, and their distribution.

    Exactly one of ``parameters`` (names such as ``tau:training``) or ``every``
    (a kind: ``"weight"``, ``"tau"``, ``"initial"``) picks them; with
    ``every = "weight"``, ``into`` and ``out_of`` narrow the group to the links
    into or out of a factor.
    """

    distribution: Distribution
    parameters: tuple[str, ...] = ()
    every: str | None = None
    into: str | None = None
    out_of: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if bool(self.parameters) == (self.every is not None):
            raise SpecError("give exactly one of `parameter` or `every` to say which parameters")
        if self.every == "link":
            object.__setattr__(self, "every", "weight")
        if (self.into or self.out_of) and self.every != "weight":
            raise SpecError('`into` and `from` pick links; use them with every = "weight"')

    def select(self, names: Sequence[str]) -> list[str]:
        """The parameter names (of ``names``) this entry picks.

        Raises a :class:`SpecError` naming what is unknown; its ``key`` attribute
        is the entry's key at fault (``parameter``, ``every``, ``into``, ``from``).
        """
        if self.parameters:
            for p in self.parameters:
                if p not in names and p.startswith("scenario:"):
                    ran = [n for n in names if n.startswith("scenario:")]
                    raise _key_error(
                        "parameter",
                        f"unknown parameter '{p}'{did_you_mean(p, ran)}: no scenario run has it; "
                        + (
                            f"the scenarios run have {', '.join(ran)}"
                            if ran
                            else "run the scenario that states it (--scenario)"
                        ),
                    )
                if p not in names:
                    raise _key_error(
                        "parameter",
                        f"unknown parameter '{p}'{did_you_mean(p, names)}; parameters are named "
                        "weight:<cause>-><effect>, tau:<factor>, initial:<factor>, and a scenario's "
                        "scenario:<target>.value (`gmsim show` lists a model's factors and links)",
                    )
            return list(self.parameters)
        kinds = sorted({n.partition(":")[0] for n in names})
        if self.every not in kinds:
            raise _key_error(
                "every",
                f"no parameters of kind '{self.every}'{did_you_mean(str(self.every), kinds)}; "
                f"this model has {', '.join(kinds)}",
            )
        chosen = [n for n in names if n.partition(":")[0] == self.every]
        for key, end, value in (("into", 1, self.into), ("from", 0, self.out_of)):
            if value is None:
                continue
            ends = [n.partition(":")[2].split("->")[end] for n in chosen]
            if value not in ends:
                what = "into" if end == 1 else "out of"
                raise _key_error(
                    key, f"no link {what} '{value}'{did_you_mean(value, sorted(set(ends)))}"
                )
            chosen = [n for n, e in zip(chosen, ends, strict=True) if e == value]
        return chosen

    def describe(self) -> str:
        """The selection in words: ``every weight into funding``."""
        if self.parameters:
            return ", ".join(self.parameters)
        words = f"every {self.every}"
        if self.into:
            words += f" into {self.into}"
        if self.out_of:
            words += f" from {self.out_of}"
        return words


# -- the spec -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class UncertaintySpec:
    """What is uncertain, and how to sample it.

    Parameters
    ----------
    uncertain : tuple of Uncertain
        The entries, in order; a later entry replaces an earlier one for the
        parameters both pick.
    seed : int or None
        Seed of the random streams (``None``: a fresh one, recorded in the manifest).
    runs : int or None
        Default number of Monte Carlo runs.
    sampling : str
        ``"random"`` or ``"latin"`` (Latin hypercube in each block of samples).
    metrics : tuple of str
        Default metrics (see :mod:`gmsim.uncertainty.metric`), e.g. ``("effectiveness@36",)``.
    name, description : str
        What the spec is about.
    path : str or None
        The file it was read from.
    """

    uncertain: tuple[Uncertain, ...]
    seed: int | None = None
    runs: int | None = None
    sampling: str = "random"
    metrics: tuple[str, ...] = ()
    name: str = ""
    description: str = ""
    path: str | None = field(default=None, compare=False)
    text: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uncertain", tuple(self.uncertain))
        object.__setattr__(self, "metrics", tuple(self.metrics))
        if not self.uncertain:
            raise SpecError(
                self._where((), "the spec names no uncertain parameters; add [[uncertain]] entries")
            )
        if self.sampling not in SAMPLINGS:
            raise SpecError(
                self._where(
                    ("spec", "sampling"),
                    f"unknown sampling '{self.sampling}'{did_you_mean(self.sampling, SAMPLINGS)}; "
                    f"expected one of {', '.join(SAMPLINGS)}",
                )
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0
        ):
            raise SpecError(
                self._where(("spec", "seed"), f"must be a whole number >= 0, got {self.seed!r}")
            )
        if self.runs is not None and (
            isinstance(self.runs, bool) or not isinstance(self.runs, int) or self.runs < 1
        ):
            raise SpecError(
                self._where(("spec", "runs"), f"must be a whole number >= 1, got {self.runs!r}")
            )

    def _where(self, key: tuple[str | int, ...] = (), message: str = "") -> str:
        return str(located(Problem(key, message), self.path, self.text))

    @classmethod
    def every_weight(cls, relative: float = 0.2, *, seed: int | None = None) -> UncertaintySpec:
        """Every link weight uniform on ``nominal × (1 ± relative)``."""
        return cls(
            uncertain=(Uncertain(Distribution("uniform", relative=relative), every="weight"),),
            seed=seed,
            name=f"every weight ±{relative * 100:g} %",
        )

    def with_seed(self, seed: int | None) -> UncertaintySpec:
        """The same spec with another seed."""
        return replace(self, seed=seed)

    def resolve(self, system: System, extra: Mapping[str, float] | None = None) -> ParameterSpace:
        """Expand the entries against ``system``'s parameters into one marginal per parameter.

        ``extra`` adds parameters the system does not have, with their nominal
        values: the numbers of the scenarios run (``scenario:<target>.value``, see
        :mod:`gmsim.scenario.uncertain`).

        Raises
        ------
        SpecError
            An unknown parameter or factor (with a suggestion), or a range that
            does not fit the parameter; the message names the file, line and entry.
        """
        extra = dict(extra or {})
        names = [*system.parameter_names(), *(n for n in extra if n not in system.parameter_names())]
        nominal = {**nominal_values(system), **extra}
        chosen: dict[str, tuple[int, Uncertain]] = {}
        for i, entry in enumerate(self.uncertain):
            try:
                picked = entry.select(names)
            except SpecError as exc:
                raise SpecError(self._where(("uncertain", i, exc.key), str(exc))) from None
            for name in picked:
                chosen.pop(name, None)
                chosen[name] = (i, entry)
        ordered = [n for n in names if n in chosen]
        marginals = []
        for name in ordered:
            i, entry = chosen[name]
            try:
                marginals.append(
                    entry.distribution.marginal(name, nominal.get(name), valid_range(name, system))
                )
            except SpecError as exc:
                raise SpecError(self._where(("uncertain", i, "distribution"), str(exc))) from None
        return ParameterSpace(tuple(marginals), sampling=self.sampling)

    def to_dict(self) -> dict[str, Any]:
        """A plain description for manifests."""
        return {
            "name": self.name,
            "path": self.path,
            "seed": self.seed,
            "sampling": self.sampling,
            "uncertain": [
                {"select": e.describe(), "distribution": e.distribution.kind, **e.distribution.given()}
                for e in self.uncertain
            ],
        }


def nominal_values(system: System) -> dict[str, float]:
    """Each parameter's value in the model as written (``{}`` where a system cannot say).

    The system's own :meth:`~gmsim.core.system.System.parameter_values`; a
    compiled factor model reports its link weights, time constants and initial levels.

    Examples
    --------
    >>> import gmsim
    >>> nominal_values(gmsim.load_model().compile())["tau:training"]
    3.0
    """
    values = getattr(system, "parameter_values", None)  # an object that is no System: nothing
    return {str(k): float(v) for k, v in values().items()} if callable(values) else {}


# -- files ------------------------------------------------------------------------------------
def _names(x: Any) -> bool:
    return isinstance(x, str) or (strings(x) and bool(x))


TOP = {
    "spec": (table, "table", False),
    "uncertain": (array, "array of tables [[uncertain]]", True),
}
SPEC = {
    "name": (string, "string", False),
    "description": (string, "string", False),
    "seed": (whole, "whole number", False),
    "runs": (whole, "whole number", False),
    "sampling": (string, "string", False),
    "metrics": (strings, "list of strings", False),
}
ENTRY = {
    "parameter": (_names, "parameter name or list of names", False),
    "every": (string, "string: weight, tau or initial", False),
    "into": (string, "factor id", False),
    "from": (string, "factor id", False),
    "distribution": (string, "string: uniform, triangular or normal", True),
    **{k: (number, "number", False) for k in DISTRIBUTION_KEYS},
    "note": (string, "string", False),
}


def spec_library() -> Path:
    """The folder of specs shipped with gmsim (``models/uncertainty``)."""
    return SPECS.folder()


def list_specs() -> list[str]:
    """Names of the specs shipped with gmsim, usable as ``load_spec(name)``.

    Examples
    --------
    >>> "every_weight_20" in list_specs()
    True
    """
    return SPECS.names()


def load_spec(path: str | os.PathLike | None = None) -> UncertaintySpec:
    """Read an uncertainty spec from a TOML file, or a shipped one by name.

    ``None`` loads ``every_weight_20`` (every link weight ±20 %).

    Raises
    ------
    SpecError
        Listing every problem of the file, each with its line.

    Examples
    --------
    >>> spec = load_spec("every_weight_20")
    >>> spec.uncertain[0].describe(), spec.uncertain[0].distribution.relative
    ('every weight', 0.2)
    """
    ref = "every_weight_20" if path is None else path
    found = SPECS.resolve(ref)
    if found is None:
        raise SpecError(
            f"no spec file '{ref}' and no shipped spec of that name"
            f"{did_you_mean(str(ref), list_specs())}; shipped specs: {', '.join(list_specs())}"
        )
    data, text = read_toml(found, error=SpecError)
    return parse_spec(data, path=str(found), text=text)


def parse_spec(
    data: Mapping[str, Any], *, path: str | None = None, text: str | None = None
) -> UncertaintySpec:
    """Build a spec from parsed TOML data; every problem is reported with its line."""
    problems = check_keys(dict(data), TOP, ())
    head = data.get("spec", {})
    if isinstance(head, dict):
        problems += check_keys(head, SPEC, ("spec",))
    entries = data.get("uncertain", [])
    built: list[Uncertain] = []
    if isinstance(entries, list):
        if not entries and "uncertain" in data:
            problems.append(Problem(("uncertain",), "no [[uncertain]] entries"))
        for i, table in enumerate(entries):
            key = ("uncertain", i)
            if not isinstance(table, dict):
                problems.append(Problem(key, "expected an [[uncertain]] table"))
                continue
            found = check_keys(table, ENTRY, key)
            problems += found
            if found:
                continue
            entry_problems, entry = _entry(table, key)
            problems += entry_problems
            if entry is not None:
                built.append(entry)
    if problems:
        raise SpecError("\n".join(str(located(p, path, text)) for p in problems))
    return UncertaintySpec(
        uncertain=tuple(built),
        seed=head.get("seed"),
        runs=head.get("runs"),
        sampling=head.get("sampling", "random"),
        metrics=tuple(head.get("metrics", ())),
        name=head.get("name", Path(path).stem if path else ""),
        description=head.get("description", ""),
        path=path,
        text=text,
    )


def _entry(table: dict[str, Any], key: tuple[str | int, ...]) -> tuple[list[Problem], Uncertain | None]:
    """One [[uncertain]] table as an :class:`Uncertain`, or its problems."""
    given = {k: float(table[k]) for k in DISTRIBUTION_KEYS if k in table}
    found = distribution_problems(table["distribution"], given)
    if found:
        return [Problem((*key, k), msg) for k, msg in found], None
    names = table.get("parameter", ())
    names = (names,) if isinstance(names, str) else tuple(names)
    try:
        entry = Uncertain(
            Distribution(table["distribution"], **given),
            parameters=names,
            every=table.get("every"),
            into=table.get("into"),
            out_of=table.get("from"),
        )
    except SpecError as exc:
        return [Problem((*key, "every" if "every" in table else "parameter"), str(exc))], None
    return [], entry
