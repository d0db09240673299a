"""The :class:`Scenario`: a named "what if", and how one is loaded from the library or a file.

Examples
--------
>>> import gmsim
>>> s = load_scenario("attention-shift")
>>> s.name, s.describe()[0]
('attention-shift', 'hold leadership_attention at 0.2 from month 15')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gmsim.core.system import Interventions
from gmsim.errors import Problem, ScenarioError
from gmsim.factor.model import Model
from gmsim.files.toml import read_toml
from gmsim.limits import check
from gmsim.scenario.checks import check_against, check_scenario, raise_problems
from gmsim.scenario.compile import compile_scenario, in_system_spelling
from gmsim.scenario.file import message, parse
from gmsim.scenario.library import scenario_path
from gmsim.scenario.types import FactorChange, Intervention, LinkChange

__all__ = ["Scenario", "combine", "load_scenario"]


@dataclass(frozen=True)
class Scenario:
    """A named "what if": interventions, link changes and factor changes.

    Building one checks everything that does not depend on a model and raises
    :class:`~gmsim.errors.ScenarioError` listing every problem;
    :meth:`interventions` checks the rest against a model and its horizon.

    Parameters
    ----------
    name, description : str
        The scenario's name and what it represents (cite the paper's section).
    actions : tuple of Intervention
        The ``[[interventions]]`` of the file.
    links : tuple of LinkChange
    factors : tuple of FactorChange
    path : str or None
        The file it was read from.

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.scenario import Intervention, Scenario
    >>> s = Scenario("early-training", actions=(Intervention("step", "training", at=3, value=0.7),))
    >>> result = gmsim.simulate(gmsim.load_model(), scenario=s, stop=12)
    >>> float(result.at(6)["training"])
    0.7
    """

    name: str
    description: str = ""
    actions: tuple[Intervention, ...] = ()
    links: tuple[LinkChange, ...] = ()
    factors: tuple[FactorChange, ...] = ()
    path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("actions", "links", "factors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        raise_problems(check_scenario(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str | None = None) -> Scenario:
        """A scenario from data laid out as a scenario file (what ``tomllib`` gives).

        Examples
        --------
        >>> s = Scenario.from_dict({
        ...     "scenario": {"name": "hire"},
        ...     "interventions": [{"kind": "set", "target": "human_resources", "value": 0.8}],
        ... })
        >>> s.actions[0].describe()
        'hold human_resources at 0.8 for the whole run'
        """
        return _build(dict(data), name=name, path=None, text=None, stack=())

    def interventions(self, model: Model) -> Interventions:
        """The scenario in the engine's terms, checked against ``model`` and its horizon.

        Raises
        ------
        ScenarioError
            Listing every problem: unknown factors or links (with a suggestion),
            times outside ``model.simulation``'s horizon, a composite as target.
        """
        sim = model.simulation
        scenario = self if isinstance(model, Model) else in_system_spelling(self, model)
        raise_problems(check_against(scenario, model, sim.start, sim.stop))
        return compile_scenario(scenario, model, sim.start, sim.stop)

    def describe(self) -> list[str]:
        """Each intervention and change, one line each in words."""
        return [item.describe() for item in (*self.actions, *self.links, *self.factors)]


def combine(*scenarios: Scenario, name: str, description: str = "") -> Scenario:
    """One scenario doing what all of ``scenarios`` do (a policy package).

    Examples
    --------
    >>> import gmsim
    >>> from gmsim.scenario import combine
    >>> package = combine(*map(gmsim.load_scenario, ["full-time-posts", "training-program"]), name="team")
    >>> len(package.actions)
    2
    """
    return Scenario(
        name=name,
        description=description,
        actions=tuple(a for s in scenarios for a in s.actions),
        links=tuple(c for s in scenarios for c in s.links),
        factors=tuple(c for s in scenarios for c in s.factors),
    )


def _build(
    data: dict,
    *,
    name: str | None,
    path: str | None,
    text: str | None,
    stack: tuple,
    loaded: set[str] | None = None,
) -> Scenario:
    """A Scenario from parsed file data and its includes; problems are reported with their lines.

    ``loaded``: the files read so far for this scenario. A file included twice (two
    included scenarios that both include it) is read and applied once.
    """
    parsed = parse(data, path=path, text=text)
    problems = list(parsed.problems)
    included = []
    loaded = set() if loaded is None else loaded
    for i, ref in enumerate(parsed.include):
        try:
            base = Path(path).parent if path else None
            scenario = _load(ref, base=base, stack=stack, loaded=loaded)
            if scenario is not None:
                included.append(scenario)
        except ScenarioError as exc:
            problems.append(Problem(("scenario", "include"), f"include[{i + 1}] '{ref}': {exc}"))
    if problems:
        raise ScenarioError("\n".join(message(p, path, text) for p in problems))
    return Scenario(
        name=parsed.name or name or "scenario",
        description=parsed.description,
        actions=(*(a for s in included for a in s.actions), *parsed.actions),
        links=(*(c for s in included for c in s.links), *parsed.links),
        factors=(*(c for s in included for c in s.factors), *parsed.factors),
        path=path,
    )


def _load(
    ref: str | os.PathLike, *, base: Path | None, stack: tuple, loaded: set[str] | None = None
) -> Scenario | None:
    """The scenario file ``ref`` with its includes; ``None`` when ``loaded`` holds it already."""
    path = scenario_path(ref, base=base)
    key = str(path.resolve())
    if key in stack:
        raise ScenarioError(
            f"{path}: includes itself (through {' -> '.join(Path(s).stem for s in (*stack, key))})"
        )
    check("include_depth", len(stack) + 1, f"{path}: the depth of this `include` chain")
    loaded = set() if loaded is None else loaded
    if key in loaded:
        return None
    loaded.add(key)
    check("includes", len(loaded) - 1, f"{path}: the number of scenario files read through `include`")
    try:
        data, text = read_toml(path, error=ScenarioError)
    except ScenarioError as exc:
        raise ScenarioError(f"{exc}; or name a scenario of the library (`gmsim scenarios`)") from None
    return _build(data, name=path.stem, path=str(path), text=text, stack=(*stack, key), loaded=loaded)


def load_scenario(name_or_path: str | os.PathLike | Scenario) -> Scenario:
    """A scenario of the library by name, or a scenario file by path.

    A string ending in ``.toml`` or holding a ``/`` is a path; otherwise it
    names a scenario of the library (:func:`list_scenarios`).

    Raises
    ------
    ScenarioError
        For an unknown name (the library's names are listed), a missing file,
        or every problem of the file with its line.

    Examples
    --------
    >>> import gmsim
    >>> action = gmsim.load_scenario("rotation-3m").actions[0]
    >>> action.kind, action.target, action.value  # a rate of handovers, no events
    ('set', 'staff_rotation', 0.33)
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    return _load(name_or_path, base=None, stack=())
