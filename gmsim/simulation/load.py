"""Load any model file: a factor model (TOML) or an imported stock-and-flow model (XMILE).

The extension decides: ``.xmile``, ``.stmx``, ``.itmx`` and ``.xml`` files are
read by :func:`gmsim.xmile.load_xmile`, every other file as a factor model by
:func:`gmsim.factor.file.load_factor_model`.

Examples
--------
>>> import gmsim
>>> model = gmsim.load_model()
>>> model.name
'Government microblog effectiveness (Zheng 2012), v2: launch and abandonment'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from gmsim.factor.file import default_model_path, load_factor_model
from gmsim.factor.model import Model

if TYPE_CHECKING:
    from gmsim.xmile.model import XmileModel

__all__ = ["XMILE_SUFFIXES", "default_model_path", "load_model"]

XMILE_SUFFIXES = (".xmile", ".stmx", ".itmx", ".xml")
"""Extensions of the files read as XMILE."""


def load_model(path: str | os.PathLike | None = None) -> Model | XmileModel:
    """Load a model file; ``None`` loads the default model of the paper.

    Files ending in ``.xmile``, ``.stmx``, ``.itmx`` or ``.xml`` are read as XMILE.

    Raises
    ------
    ModelError
        Listing every problem of the file, each with its line.

    Examples
    --------
    >>> import gmsim
    >>> len(gmsim.load_model().factors) >= 34
    True
    """
    if path is not None and Path(path).suffix.lower() in XMILE_SUFFIXES:
        from gmsim.xmile.model import load_xmile  # the XMILE compiler loads only when needed

        return load_xmile(path)
    return load_factor_model(path)
