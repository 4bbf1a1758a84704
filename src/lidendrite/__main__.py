"""``python -m lidendrite`` = the ``lidendrite`` command (used by rules in conda envs)."""

import sys

from lidendrite.cli import main

sys.exit(main())
