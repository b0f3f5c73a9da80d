"""Exceptions that the command line turns into one-line messages and exit codes.

Library messages name parameters as they are spelt in Python, in backquotes (`rate_hz`,
`squelch=power`); the command line shows its options instead (:func:`with_names`).
"""

import re

#: exit codes shared by every command
EXIT_OK = 0
EXIT_CRITERIA = 1
EXIT_USAGE = 2
EXIT_SOURCE_LOST = 3


#: how a message names a parameter: `name` or `name=value` (the command line shows its option)
PARAM = re.compile(r"`([a-z_]+)(?:=([^`]*))?`")


def with_names(text, names):
    """A library message with its parameters named as ``names`` says (``{"rate_hz":
    "--rate"}``: `rate_hz` becomes --rate, `squelch=power` becomes --squelch power); names
    not in the mapping are left as they are.

    Examples
    --------
    >>> with_names("give `rate_hz`; try `squelch=power`", {"rate_hz": "--rate",
    ...                                                     "squelch": "--squelch"})
    'give --rate; try --squelch power'
    """
    def sub(m):
        opt = names.get(m.group(1))
        if opt is None:
            return m.group(0)
        return opt if m.group(2) is None else f"{opt} {m.group(2)}"
    return PARAM.sub(sub, str(text))


class HtdspError(Exception):
    """Base class for errors htdsp reports to a user."""

    exit_code = EXIT_USAGE


class InputError(HtdspError, ValueError):
    """Bad input: a file, its metadata or a parameter that cannot work (exit code 2).

    Parameters
    ----------
    message : str
        What is wrong, in one line.
    path : str, optional
        The file concerned; named first in the message.
    """

    def __init__(self, message, path=None):
        self.path = None if path is None else str(path)
        self.problem = message
        super().__init__(f"{self.path}: {message}" if self.path else message)
