"""``python -m ui``: the same as the ``pa-desk`` command."""

import sys

from ui.cli import main

sys.exit(main())
