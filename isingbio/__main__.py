"""``python -m isingbio``: the same as the ``isingbio`` command."""

import sys

from .cli import main

sys.exit(main())
