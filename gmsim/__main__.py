"""``python -m gmsim`` runs the command line."""

import sys

from gmsim.cli import main

sys.exit(main())
