"""Source of notebooks/02-scenarios.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 2. The paper's scenarios side by side
#
# A **scenario** is a "what if" written as data: hold a factor at a level,
# move it along a path, make it jump at an event (a staff handover), change a
# link's weight. gmsim ships a library of scenarios, each drawn from a finding
# of Zheng (2012). This notebook runs them all on the default model, sets them
# side by side, and reads each one in a sentence.
#
# Every number in the sentences below is computed in this notebook, and the
# words around it ("rises", "lower than") are chosen from the numbers, so the
# text stays true when the model changes. Where a sentence restates one of the
# paper's claims, a check at the end of the section fails if the model stops
# showing it.

# %%
# %matplotlib inline
import re

import pandas as pd
from IPython.display import Markdown, display

import gmsim
from gmsim.analysis.comparison import end_of_horizon, format_end_table, plot_comparison
from gmsim.scenario import combine

pd.set_option("display.max_colwidth", 120)
pd.set_option("display.width", 160)

model = gmsim.load_model()
names = gmsim.list_scenarios()
library = {name: gmsim.load_scenario(name) for name in names}
overview = pd.DataFrame(
    {"scenario": s.name, "what happens": "; ".join(s.describe()) or "nothing"} for s in library.values()
)
display(overview.set_index("scenario"))

# %% [markdown]
# ## Run them all
#
# `gmsim.compare` runs every scenario on the same model and horizon (60 months)
# and returns one tidy table: `scenario`, `time`, `variable`, `value`. It
# checks every scenario against the model before running any.
# `end_of_horizon` takes the levels at the last month and their difference
# from the baseline.

# %%
frame = gmsim.compare(model, scenarios=names)
horizon = frame["time"].max()
table = end_of_horizon(frame)
print(format_end_table(table, time=horizon))

# %% [markdown]
# The baseline is the launch: the account opens at month 0 and grows to its
# reference levels (2011 as the paper reports it) by about month 36. Every
# scenario runs on the same launch, so each difference is what the policy adds
# to (or takes from) a new account. Ranked by effectiveness at the
# end of the run:

# %%
ranking = (
    table[table["variable"] == "effectiveness"]
    .set_index("scenario")["difference"]
    .drop("baseline")
    .sort_values()
)
ax = ranking.plot.barh(figsize=(7, 5), color=["#c0392b" if d < 0 else "#1f5fa8" for d in ranking])
ax.axvline(0, color="black", linewidth=0.8)
ax.set(xlabel=f"effectiveness at month {horizon:g} minus baseline", ylabel="")
ax.grid(axis="x", alpha=0.3)
ax.figure.tight_layout()

# %% [markdown]
# ## Reading each scenario
#
# A few helpers turn the table into sentences. `moves` describes how a
# variable departs from the baseline: by how much, when, and whether it comes
# back. `cite` takes the paper's sections from the scenario's own description.

# %%
levels = frame.pivot_table(index="time", columns=["scenario", "variable"], values="value")


def gap(name: str, variable: str) -> pd.Series:
    """The scenario's level minus the baseline's, over time."""
    return levels[(name, variable)] - levels[("baseline", variable)]


def at_end(name: str, variable: str) -> float:
    return float(gap(name, variable).iloc[-1])


def moves(name: str, variable: str = "effectiveness") -> str:
    """How `variable` departs from the baseline in scenario `name`, in words and numbers."""
    d = gap(name, variable)
    month = d.abs().idxmax()
    peak, end = d[month], d.iloc[-1]
    label = variable.replace("_", " ")
    if abs(peak) < 5e-4:
        return f"{label} hardly moves (less than 0.0005)"
    direction = "rises" if peak > 0 else "falls"
    if abs(end) < 0.5 * abs(peak):
        return (
            f"{label} {direction} by up to {abs(peak):.3f} (month {month:g}) and then comes back, "
            f"to {end:+.3f} against the baseline at month {horizon:g}"
        )
    return f"{label} {direction} by {abs(end):.3f} by month {horizon:g}"


def most_moved(name: str) -> str:
    """The outcome dimension that departs furthest from the baseline at any time."""
    outcomes = ["information_disclosure", "public_service", "citizen_engagement"]
    return max(outcomes, key=lambda v: gap(name, v).abs().max())


def cite(name: str) -> str:
    sections = dict.fromkeys(re.findall(r"\b\d\.\d(?:\.\d)?\b", library[name].description))
    return "paper " + ", ".join(sections) if sections else "no section cited"


def half_way(name: str, variable: str, after: float) -> float:
    """First month after `after` by which `variable` has made half of its final move."""
    d = gap(name, variable)
    d = d[d.index >= after]
    return float(d.index[(d.abs() >= 0.5 * abs(d.iloc[-1])).argmax()])


discussed: set[str] = set()


def say(name: str, text: str) -> None:
    """Print the sentence for scenario `name` (as Markdown) and note that it was discussed."""
    discussed.add(name)
    display(Markdown(f"**{name}** ({cite(name)}): {text}"))


def show(*scenarios: str, variables=None):
    """The trajectories of some scenarios against the baseline."""
    part = frame[frame["scenario"].isin(["baseline", *scenarios])]
    return plot_comparison(part, variables, baseline="baseline")


# %% [markdown]
# ### Leaders' attention and money (2.2.1, 2.2.4, 2.4.2, 2.4.3)
#
# The paper's civil servants call the attention of superior leaders "the key
# to success", and say funds follow it.

# %%
fig = show(
    "attention-boost",
    "attention-shift",
    "funding-secured",
    variables=["leadership_attention", "funding", "effectiveness", "public_service"],
)

# %%
say(
    "attention-boost",
    f"with leaders' attention held high from month 6, funding ends "
    f"{at_end('attention-boost', 'funding'):+.3f} against the baseline and {moves('attention-boost')}.",
)

fund_half = half_way("attention-shift", "funding", after=15)
eff_half = half_way("attention-shift", "effectiveness", after=15)
first, then = ("funding", "effectiveness") if fund_half <= eff_half else ("effectiveness", "funding")
say(
    "attention-shift",
    f"when attention drops at month 15, funding ends {at_end('attention-shift', 'funding'):+.3f} and "
    f"effectiveness {at_end('attention-shift', 'effectiveness'):+.3f} against the baseline at month "
    f"{horizon:g}; {first} has made half of its fall by month "
    f"{min(fund_half, eff_half):g}, {then} by month {max(fund_half, eff_half):g}, "
    f"a lag of {abs(eff_half - fund_half):g} months.",
)

say(
    "funding-secured",
    f"a budget line held from month 12 whatever leaders do: {moves('funding-secured')}; "
    f"the outcome that moves most is {most_moved('funding-secured').replace('_', ' ')}.",
)

# claim 1 of the paper: attention raises effectiveness; its withdrawal lowers funding, then effectiveness
assert at_end("attention-boost", "effectiveness") > 0 > at_end("attention-shift", "effectiveness")
assert fund_half < eff_half

# %% [markdown]
# ### Staffing: shifts, training and workload (2.4.1, 2.4.6)
#
# Operators take shifts of three to six months, and the experience of a shift
# "would hardly pass on to his or her successors" (2.4.1); they ask for
# training, and feel exhausted by the account on top of their original jobs
# (2.4.6).

# %%
fig = show(
    "rotation-3m",
    "rotation-6m",
    "full-time-posts",
    "training-program",
    "workload-overload",
    variables=["staff_experience", "staff_capability", "citizen_engagement", "effectiveness"],
)

# %%
staffing = {
    "rotation-3m": "three-month shifts",
    "rotation-6m": "six-month shifts",
    "full-time-posts": "full-time posts",
}
order = sorted(staffing, key=lambda n: at_end(n, "effectiveness"), reverse=True)
ranked = ", then ".join(f"{staffing[n]} ({levels[(n, 'effectiveness')].iloc[-1]:.3f})" for n in order)
expected = ["full-time-posts", "rotation-6m", "rotation-3m"]
verdict = "as" if order == expected else "unlike what"
for name in staffing:
    say(name, f"{moves(name)}; experience ends {at_end(name, 'staff_experience'):+.3f}.")
display(
    Markdown(
        f"Ranked by effectiveness at month {horizon:g}: {ranked}, {verdict} the loss of "
        "experience at each handover (2.4.1) implies."
    )
)

say(
    "training-program",
    f"training from month 6 raises staff capability by "
    f"{at_end('training-program', 'staff_capability'):.3f}, and {moves('training-program')}.",
)

overload = gap("workload-overload", "staff_capability")
low_month = overload.idxmin()
say(
    "workload-overload",
    f"staff capability falls by up to {-overload.min():.3f} (month {low_month:g}) while operators "
    f"are overloaded (months 6 to 18), and {moves('workload-overload')}.",
)

parts = at_end("full-time-posts", "effectiveness") + at_end("training-program", "effectiveness")
package = at_end("professional-team", "effectiveness")
say(
    "professional-team",
    f"full-time posts, training and written guidelines together: {moves('professional-team')}, "
    f"{'more' if package > parts else 'less'} than the {parts:.3f} of full-time posts and training "
    "run separately, added up.",
)

# claims 2 and 4: shorter shifts end lower; training helps; overload erodes capability
assert order == expected
assert (
    at_end("training-program", "staff_capability") > 0
    and at_end("training-program", "effectiveness") > 0
)
assert overload.min() < 0

# %% [markdown]
# ### Review and culture (2.4.4, 2.4.5)
#
# "If we response every microblog in accordance with the full-process review,
# timeliness will be hurt" (2.4.5); and posts stay "official, formal and rigid"
# (2.4.4).

# %%
fig = show(
    "full-review",
    "streamlined-review",
    "open-government",
    variables=["review_burden", "responsiveness", "public_service", "effectiveness"],
)

# %%
say(
    "full-review",
    f"with every post reviewed from month 6, responsiveness ends "
    f"{at_end('full-review', 'responsiveness'):+.3f} and public service "
    f"{at_end('full-review', 'public_service'):+.3f} against the baseline; {moves('full-review')}.",
)
say(
    "streamlined-review",
    f"the opposite move: responsiveness ends {at_end('streamlined-review', 'responsiveness'):+.3f}, "
    f"and {moves('streamlined-review')}.",
)
say(
    "open-government",
    f"streamlined review plus a culture that opens up: {moves('open-government')} "
    f"(streamlined review alone: {at_end('streamlined-review', 'effectiveness'):+.3f}); the outcome that "
    f"moves most is {most_moved('open-government').replace('_', ' ')}.",
)

# claim 3: full review lowers responsiveness and public service
assert at_end("full-review", "responsiveness") < 0 and at_end("full-review", "public_service") < 0

# %% [markdown]
# ### Shocks from outside (2.3.1, 2.3.5)
#
# Hackers and the paid "water army" (2.3.1), and users leaving for the next
# technology (2.3.5). The first two are temporary: read the largest fall, not
# only the end.

# %%
fig = show(
    "hacker-attack",
    "water-army-surge",
    "platform-substitution",
    variables=["public_trust", "citizen_engagement", "leadership_attention", "effectiveness"],
)

# %%
for name in ["hacker-attack", "water-army-surge"]:
    say(name, f"{moves(name, 'public_trust')}; {moves(name, 'citizen_engagement')}; and {moves(name)}.")
say(
    "platform-substitution",
    f"as users drift away from month 12, {moves('platform-substitution', 'citizen_engagement')}, "
    f"and {moves('platform-substitution')}.",
)

# claim 5: an attack or a water-army surge damages trust and engagement
for name in ["hacker-attack", "water-army-surge"]:
    assert gap(name, "public_trust").min() < 0 and gap(name, "citizen_engagement").min() < 0

# %% [markdown]
# ### Working across agencies (2.4.7)
#
# In an emergency a railway account had no information "provided by our
# partners in transportation" (2.4.7).

# %%
fig = show(
    "collaboration-network",
    "emergency-ready",
    variables=["collaboration", "information_accuracy", "public_service", "effectiveness"],
)

# %%
leader = most_moved("collaboration-network")
rank = (
    "more than any other outcome"
    if leader == "public_service"
    else f"though {leader.replace('_', ' ')} moves more"
)
say(
    "collaboration-network",
    f"information sharing built over months 6 to 18: "
    f"{moves('collaboration-network', 'public_service')} ({rank}), and {moves('collaboration-network')}.",
)
say(
    "emergency-ready",
    f"the network plus a duty roster and regulation: {moves('emergency-ready')}, against "
    f"{at_end('collaboration-network', 'effectiveness'):+.3f} for the network alone.",
)

# claim 6: collaboration improves public service
assert at_end("collaboration-network", "public_service") > 0

# %% [markdown]
# Any scenario of the library not read above (one added after this notebook
# was written) still gets a sentence, from its description and the numbers.

# %%
for name in names:
    if name != "baseline" and name not in discussed:
        say(name, f"{library[name].description} In this run, {moves(name)}.")
print(f"{len(discussed)} of {len(names) - 1} scenarios read; the baseline is the reference.")

# %% [markdown]
# ## Your own scenario
#
# A scenario is data, so you can also build one in Python. `combine` makes a
# policy package of library scenarios; `Scenario.from_dict` reads the same
# layout as a scenario file.

# %%
package = combine(library["streamlined-review"], library["training-program"], name="review-and-training")
late_training = gmsim.Scenario.from_dict(
    {
        "scenario": {"name": "late-training", "description": "Training from month 18 (paper 2.4.6)."},
        "interventions": [{"kind": "step", "target": "training", "at": 18, "value": 0.7}],
    }
)
mine = gmsim.compare(model, scenarios=[package, late_training, "training-program"])
print(format_end_table(end_of_horizon(mine, variables=["effectiveness"]), time=horizon))
fig = plot_comparison(mine, ["effectiveness", "staff_capability"])
