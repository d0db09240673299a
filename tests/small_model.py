"""A small factor model as TOML text, shared by the tests of model files, limits and hostile input.

Four factors (an exogenous cause, two endogenous factors, a composite outcome), two links, one of
them delayed: every kind of the file in a dozen lines."""

SMALL_MODEL = """\
[model]
name = "small"

[simulation]
stop = 12
dt = 0.25

[factors.training]
group = "internal_enabler"
kind = "exogenous"
initial = 0.5

[factors.staff_capability]
group = "process"
initial = 0.4
tau = 4

[factors.responsiveness]
group = "process"
initial = 0.5
tau = 1

[factors.effectiveness]
group = "outcome"
kind = "composite"
of = { staff_capability = 1, responsiveness = 2 }

[[links]]
from = "training"
to = "staff_capability"
weight = 0.6

[[links]]
from = "staff_capability"
to = "responsiveness"
weight = 0.5
delay = 2
"""
