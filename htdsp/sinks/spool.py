"""A spool: lines written as records finish, read back once at the end (a temporary file,
deleted when closed, in the output's folder so that a large run fills the disk it is writing
to, not a RAM-backed /tmp)."""

import os
import tempfile


class Spool:
    """Text lines to a temporary file; :meth:`lines` reads them back (once), :meth:`close`
    deletes it. ``dir`` is where it lives (default: the system's temporary folder)."""

    def __init__(self, dir=None):
        self._f = tempfile.TemporaryFile("w+", encoding="utf-8", dir=dir or None,
                                         prefix=".htdsp-spool-")
        self.count = 0

    def write(self, line):
        self._f.write(line)
        self._f.write("\n")
        self.count += 1

    def lines(self):
        """The lines written, in order (without their newlines)."""
        self._f.flush()
        self._f.seek(0)
        for ln in self._f:
            yield ln.rstrip("\n")

    def copy_to(self, out, sep="", edit=None):
        """Write the lines to the text file ``out``, ``sep`` between them (streamed), each
        through ``edit`` (a function of a line) if given."""
        for i, ln in enumerate(self.lines()):
            if i:
                out.write(sep)
            out.write(ln if edit is None else edit(ln))

    def close(self):
        self._f.close()


def folder_of(fileobj):
    """The folder a file object's file is in (None for stdout and the like)."""
    name = getattr(fileobj, "name", None)
    if not isinstance(name, str) or not name or name.startswith("<"):
        return None
    return os.path.dirname(os.path.abspath(name))
