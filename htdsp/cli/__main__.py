"""``python -m htdsp.cli``: the same as the ``htdsp`` command."""

from htdsp.cli import entry

entry()
