"""Files: output folders written whole or not at all, and run manifests."""

from gmsim.files.manifest import build_manifest, write_manifest
from gmsim.files.output import output_dir, write_file

__all__ = ["build_manifest", "output_dir", "write_file", "write_manifest"]
