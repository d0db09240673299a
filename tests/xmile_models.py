"""Small XMILE models written inline, for the XMILE tests."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import gmsim
from gmsim.xmile import XmileModel, load_xmile_text


def _flag(non_negative: bool | None) -> str:
    return "" if non_negative is None else f"<non_negative>{str(non_negative).lower()}</non_negative>"


def aux(name: str, equation: str, *, dims: tuple[str, ...] = (), gf: str = "", inner: str = "") -> str:
    """An ``<aux>``; ``gf`` is raw ``<gf>`` XML, ``inner`` any further raw XML."""
    dim = "".join(f'<dim name="{d}"/>' for d in dims)
    dim = f"<dimensions>{dim}</dimensions>" if dims else ""
    return f"<aux name={quoteattr(name)}>{dim}<eqn>{escape(equation)}</eqn>{gf}{inner}</aux>"


def flow(
    name: str, equation: str, *, non_negative: bool | None = None, dims: tuple[str, ...] = ()
) -> str:
    dim = "".join(f'<dim name="{d}"/>' for d in dims)
    dim = f"<dimensions>{dim}</dimensions>" if dims else ""
    return f"<flow name={quoteattr(name)}>{dim}<eqn>{escape(equation)}</eqn>{_flag(non_negative)}</flow>"


def stock(
    name: str,
    initial: str,
    *,
    inflows: tuple[str, ...] = (),
    outflows: tuple[str, ...] = (),
    non_negative: bool | None = None,
    dims: tuple[str, ...] = (),
) -> str:
    dim = "".join(f'<dim name="{d}"/>' for d in dims)
    dim = f"<dimensions>{dim}</dimensions>" if dims else ""
    flows = "".join(f"<inflow>{escape(f)}</inflow>" for f in inflows)
    flows += "".join(f"<outflow>{escape(f)}</outflow>" for f in outflows)
    return f"<stock name={quoteattr(name)}>{dim}<eqn>{escape(initial)}</eqn>{flows}{_flag(non_negative)}</stock>"


def gf(ypts, *, xpts=None, xscale=None, kind: str | None = None) -> str:
    """A ``<gf>`` with the given points (``xscale`` as ``(min, max)``)."""
    attr = f' type="{kind}"' if kind else ""
    x = f"<xpts>{','.join(map(str, xpts))}</xpts>" if xpts is not None else ""
    scale = f'<xscale min="{xscale[0]}" max="{xscale[1]}"/>' if xscale else ""
    return f"<gf{attr}>{scale}{x}<ypts>{','.join(map(str, ypts))}</ypts></gf>"


def document(
    *variables: str,
    start: float = 0,
    stop: float = 10,
    dt: float = 1,
    method: str = "Euler",
    vendor: str = "gmsim tests",
    dimensions: dict[str, tuple[str, ...]] | None = None,
    extra: str = "",
    name: str = "test model",
) -> str:
    """A whole XMILE document around ``variables``; ``extra`` goes after the model (macros)."""
    dims = ""
    if dimensions:
        dims = "".join(
            f"<dim name={quoteattr(d)}>"
            + "".join(f"<elem name={quoteattr(e)}/>" for e in elems)
            + "</dim>"
            for d, elems in dimensions.items()
        )
        dims = f"<dimensions>{dims}</dimensions>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">\n'
        f"<header><name>{escape(name)}</name><vendor>{escape(vendor)}</vendor><product>tests</product></header>\n"
        f'<sim_specs method="{method}"><start>{start}</start><stop>{stop}</stop><dt>{dt}</dt></sim_specs>\n'
        f"{dims}<model><variables>\n" + "\n".join(variables) + f"\n</variables></model>{extra}</xmile>\n"
    )


def model(*variables: str, **options) -> XmileModel:
    """Load :func:`document` of ``variables``."""
    return load_xmile_text(document(*variables, **options))


def run(*variables: str, **options) -> gmsim.Result:
    """Simulate a model of ``variables`` with its own sim_specs."""
    return gmsim.simulate(model(*variables, **options))


def value(equation: str, *others: str, at: float = 0.0, **options) -> float:
    """The value of ``x = equation`` at time ``at`` (the start of a run)."""
    system = model(aux("x", equation), *others, start=at, stop=at + 1, **options).compile()
    params = system.parameters()
    out = system.observe(at, system.initial_state(params), params)
    return float(out[0, system.variable_names.index("x")])
