"""Scenarios: a "what if" stated as data and run against a model without editing it.

A scenario file (TOML) holds interventions on factors, changes of link weights,
and changes of factors' initial levels or adjustment times::

    [scenario]
    name = "attention-shift"
    description = "Superiors' attention moves elsewhere at month 12 (paper 2.4.2)"

    [[interventions]]
    kind = "clamp"                # hold a factor's level
    target = "leadership_attention"
    value = 0.2
    start = 12

    [[links]]                     # change a weight; `add = true` adds a new link
    from = "review_burden"
    to = "responsiveness"
    weight = -0.3
    start = 12                    # optional: only from month 12 ...
    end = 24                      # ... until month 24 (default: the whole run)

    [factors.staff_experience]    # initial level and/or adjustment time (months)
    tau = 9

Kinds of intervention (times in months, levels in [0, 1]):

======  ==========================  =================================================
kind    keys                        what happens to ``target``
======  ==========================  =================================================
set     value                       held at ``value`` for the whole run
step    at, value                   held at ``value`` from ``at`` on
ramp    start, end, value           held on a line from its level in the model at
                                    ``start`` to ``value`` at ``end``, then at ``value``
pulse   at, duration, value         held at ``value`` for ``duration`` months
table   times, values               held on the line through the points, from the
                                    first time on
clamp   value; start, end optional  held at ``value`` from ``start`` (default: all
                                    along) until ``end`` (default: the end of the run)
event   at, or every with optional  a jump: ``multiply`` (x <- x * multiply) or ``set``
        start/end; multiply or set  (x <- set); ``every`` jumps at ``start`` (default:
                                    one period into the run), then every ``every``
                                    months before ``end``
======  ==========================  =================================================

Windows and release. An intervention holds its factor only while it acts;
outside that window the factor follows the model. When a ``pulse`` or a
``clamp`` with an ``end`` lets go, an *endogenous* factor carries on from the
held level under its own dynamics (the intervention's effect fades as the model
says), while an *exogenous* factor, which has no dynamics, returns to its level
in the model (the ``initial`` of ``[factors.<id>]`` if the scenario changes it).
``step``, ``ramp`` and ``table`` never let go. Two interventions may not hold
one factor at the same time, and an event may not fall where its factor is held
(it would have no effect): both are reported as errors.

Weights, initial levels and tau changed by a scenario are applied *after* the
model's resting biases are solved, so they move the system away from its flat
baseline. ``include = ["a", "b"]`` in ``[scenario]`` builds a policy package
from other scenarios (library names, or paths relative to the file).

On a model that is not a factor graph (an imported stock-and-flow model),
targets are the variables of its compiled system, events move its stocks,
levels are in the model's own units, and ``[[links]]`` and ``tau`` are refused.

Examples
--------
>>> import gmsim
>>> s = gmsim.load_scenario("attention-shift")
>>> s.name, s.describe()[0]
('attention-shift', 'hold leadership_attention at 0.2 from month 15')
>>> iv = s.interventions(gmsim.load_model())
>>> iv.forcings[0].variable, iv.forcings[0].start
('leadership_attention', 15.0)
"""

from gmsim.scenario.checks import check_against, check_scenario
from gmsim.scenario.library import LIBRARY, list_scenarios
from gmsim.scenario.scenario import Scenario, combine, load_scenario
from gmsim.scenario.types import KEYS, KINDS, FactorChange, Intervention, LinkChange, Origin

__all__ = [
    "KEYS",
    "KINDS",
    "LIBRARY",
    "FactorChange",
    "Intervention",
    "LinkChange",
    "Origin",
    "Scenario",
    "check_against",
    "check_scenario",
    "combine",
    "list_scenarios",
    "load_scenario",
]
