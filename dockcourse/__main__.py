"""``python -m dockcourse ...`` is the same as ``dockcourse ...``."""

import sys

from .cli import main

sys.exit(main())
