"""Import and run XMILE stock-and-flow models (Stella, Vensim via xmutil, and the OASIS standard).

``gmsim.load_model("model.xmile")`` (also ``.stmx``, ``.itmx``, ``.xml``)
comes here. The stages, each a module:

- :mod:`~gmsim.xmile.reader`: XML (through defusedxml) to plain frozen data;
- :mod:`~gmsim.xmile.expr`: equation text to a syntax tree (tokenizer, Pratt parser);
- :mod:`~gmsim.xmile.flatten`: names resolved; arrays, modules, macros and
  builtins with memory expanded into scalar variables;
- :mod:`~gmsim.xmile.compiler` and :mod:`~gmsim.xmile.system`: the syntax
  trees become numpy closures inside an :class:`XmileSystem`, the same
  :class:`~gmsim.core.system.System` interface factor models compile to.

No ``eval``, ``exec``, generated source or pickle is involved anywhere.

Examples
--------
>>> import gmsim
>>> from gmsim.xmile import load_xmile_text
>>> from gmsim.xmile.examples import TEACUP
>>> result = gmsim.simulate(load_xmile_text(TEACUP))
>>> round(float(result["Teacup_Temperature"][-1]), 3)
75.374
"""

from gmsim.xmile.model import XmileModel, XmileWarning, load_xmile, load_xmile_text
from gmsim.xmile.system import XmileParams, XmileSystem

__all__ = ["XmileModel", "XmileParams", "XmileSystem", "XmileWarning", "load_xmile", "load_xmile_text"]
