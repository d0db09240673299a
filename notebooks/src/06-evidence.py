"""Source of notebooks/06-evidence.ipynb (see notebooks/_build.py)."""

# %% [markdown]
# # 6. Evidence: calibrate to an agency's series, and elicit weights from colleagues
#
# Every weight of the default model is a reading of a qualitative paper. An
# analyst in an agency has more: monthly series of their own account, and
# colleagues who can rate links. This notebook
#
# 1. **calibrates** two weights and an adjustment time to 36 months of a
#    (synthetic) agency's series, with 95 % intervals, and names what the data
#    cannot pin;
# 2. **elicits** weights from three raters (signed verbal terms as triangular
#    fuzzy numbers, weighted by confidence, defuzzified by their centroid);
# 3. runs the **uncertainty** analysis on the elicited spec as written.
#
# The command line does the same: `gmsim calibrate MODEL --data FILE --fit PARAM
# --out DIR` and `gmsim elicit RATINGS.csv --out DIR`.

# %%
# %matplotlib inline
import pathlib
import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import gmsim
from gmsim.evidence.calibrate import calibrate
from gmsim.evidence.outputs import fit_panels
from gmsim.evidence.ratings import elicit, write_elicitation
from gmsim.plot.observed import plot_fit

pd.set_option("display.width", 160)
folder = pathlib.Path(tempfile.mkdtemp())  # removed at the end
model = gmsim.load_model()
system = model.compile()

# %% [markdown]
# ## A synthetic agency
#
# The agency's "true" model differs from the paper's in three numbers. Its
# leadership's attention was boosted (the `attention-boost` scenario); it kept
# a monthly score of its effectiveness, and its follower count. Followers are not a
# level between 0 and 1: an observation map (`scale`, `offset`, fitted here)
# links them to `citizen_engagement`.

# %%
names = system.parameter_names()
fit_names = [n for n in names if n.startswith("weight:") and n.endswith("->citizen_engagement")][:2]
fit_names += [n for n in names if n == "tau:citizen_engagement"]
values = system.parameter_values()
truth = {
    n: float(np.clip(values[n] * 1.25, -0.95, 0.95)) if n.startswith("weight") else 1.5 * values[n]
    for n in fit_names
}
run = gmsim.simulate(model, scenario="attention-boost", batch={n: [v] for n, v in truth.items()})
months = np.arange(0, 37.0)
rng = np.random.default_rng(2012)
level = np.interp(months, run.time, run["effectiveness"][0]) + rng.normal(0, 0.01, months.size)
followers = 20000 * np.interp(months, run.time, run["citizen_engagement"][0]) + rng.normal(
    0, 60, months.size
)
level[[5, 17]] = np.nan  # two months were not recorded
data_file = folder / "agency.csv"
pd.DataFrame({"month": months, "effectiveness": level, "follower_count": followers.round()}).to_csv(
    data_file, index=False, na_rep=""
)
(folder / "agency.toml").write_text('[observe.follower_count]\nfactor = "citizen_engagement"\n')
print(data_file.read_text().splitlines()[:4])

# %%
cal = calibrate(model, data_file, fit_names, scenario="attention-boost")
print(cal.summary())
table = cal.estimates[["parameter", "estimate", "low", "high", "start"]].copy()
table["truth"] = table["parameter"].map(truth)
display(table.round(4))

# %%
fig = plot_fit(fit_panels(cal), title="Fit to the agency's series")
plt.show()

# %% [markdown]
# ## Three raters
#
# Each rater gives a signed verbal term (or a number in [-1, 1]) and a
# confidence. Where they agree, the weight is exactly their term's and the
# spread is zero; where they do not, the spread (in weight units) says by how much.

# %%
links = [(lk.cause, lk.effect) for lk in model.links[:3]]
terms = [
    ["+strong", "+strong", "+strong"],
    ["+moderate", "+strong", "+very strong"],
    ["-weak", "none", "-weak"],
]
rows = [
    {"expert": expert, "from": cause, "to": effect, "rating": terms[i][k], "confidence": conf}
    for i, (cause, effect) in enumerate(links)
    for k, (expert, conf) in enumerate([("ana", 1.0), ("bo", 0.8), ("chen", 0.5)])
]
sheet = folder / "ratings.csv"
pd.DataFrame(rows).to_csv(sheet, index=False)
elicited = elicit(sheet, model)
display(elicited.agreement().round(3))
write_elicitation(elicited, folder)
print((folder / "uncertainty.toml").read_text())

# %% [markdown]
# ## The uncertainty the raters leave
#
# The spec is written for `gmsim uncertainty`; it runs as it is.

# %%
spec = gmsim.load_spec(folder / "uncertainty.toml")
mc = gmsim.monte_carlo(
    folder / "model.toml",
    spec,
    scenarios=["attention-boost"],
    runs=200,
    metrics=["effectiveness"],
    progress=False,
)
fig, ax = plt.subplots(figsize=(8, 4))
mc.plot("effectiveness", ax=ax)
plt.show()

# %%
shutil.rmtree(folder)
