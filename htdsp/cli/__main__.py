"""``python -m htdsp.cli``: the same as the ``htdsp`` command."""

import sys

from htdsp.cli import main

sys.exit(main())
