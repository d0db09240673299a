"""Find the model library in a source checkout as well as in an installed package."""

import importlib.util as _util
import sys as _sys
from pathlib import Path as _Path


def _attach_source_models() -> None:
    """Installed, the model library is the package ``gmsim.models``; in a source checkout
    (``python -m gmsim`` run from the repository) it is the ``models/`` folder beside the
    package. Register that folder as ``gmsim.models`` so both layouts read the same files."""
    if _util.find_spec("gmsim.models") is not None:
        return
    folder = _Path(__file__).resolve().parent.parent / "models"
    if (folder / "__init__.py").is_file():
        spec = _util.spec_from_file_location(
            "gmsim.models", folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        module = _util.module_from_spec(spec)
        _sys.modules["gmsim.models"] = module
        spec.loader.exec_module(module)


_attach_source_models()
