"""Output files that never damage an input and appear whole or not at all.

Every file htdsp writes goes through this module, for every command:

- :func:`check_output` refuses an output that is one of the inputs or a file an input uses
  (resolved paths and inodes of metadata, data and archives are compared, so a symbolic or
  hard link to an input is caught too), a directory, a missing or unwritable folder, and (for
  outputs that hold samples: ``convert``, ``simulate``, ``live --record``) an existing file
  unless it may be replaced (``overwrite``, the ``--force`` option).
- :class:`AtomicFile` writes a complete-file output (a converted recording, a report, demodulated
  audio) to a temporary file beside the target, ``.NAME.<pid>.htdsp-tmp``, and renames it over
  the target only when it is whole (fsync first), so a killed run leaves the previous file (or
  none) and at most that temporary file, which the next run that writes the same target
  removes (unless the process that made it is still running).
- :class:`OutputSet` gathers the outputs of one command: all are checked before any work
  starts, committed together at the end, and removed if the command fails or is interrupted.

Streams meant to survive a crash (``live --record``, ``simulate``) write the final names
directly and keep them valid at every moment (:class:`htdsp.io.sigmf.SigMFWriter`); they use
:func:`check_output` for the same guards.
"""

import errno
import glob
import os
import re
import stat

from htdsp.errors import InputError

#: suffix of the temporary files (``.NAME.<pid>.htdsp-tmp``)
TMP_SUFFIX = ".htdsp-tmp"
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)" + re.escape(TMP_SUFFIX) + r"$")


class OutputExists(InputError):
    """An output that holds samples would replace an existing file (pass ``overwrite``)."""


def _identity(path):
    """``(real path, (device, inode) or None)`` of a path (which need not exist)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


class InputFiles:
    """The files the inputs of a command use, to keep outputs off them.

    Examples
    --------
    >>> from htdsp.io import open_recording
    >>> used = InputFiles([open_recording("captures/kpbenz-2m-nfm-voice/capture.sigmf-meta")])
    >>> used.uses("captures/kpbenz-2m-nfm-voice/capture.cu8")
    True
    >>> used.uses("captures/kpbenz-2m-nfm-voice/other.cu8")
    False
    """

    def __init__(self, recordings=()):
        self._paths = {}              # real path -> the input's name
        self._inodes = {}             # (device, inode) -> the input's name
        for rec in recordings:
            self.add(rec)

    def add_path(self, path, name=None):
        """One file an input uses (``name``: the input, for messages)."""
        real, ino = _identity(path)
        self._paths.setdefault(real, name or str(path))
        if ino is not None:
            self._inodes.setdefault(ino, name or str(path))

    def add(self, rec):
        """Every file of a :class:`~htdsp.io.recording.Recording`: what was named (the
        metadata, the WAV, the raw file, the archive) and the file holding its samples."""
        self.add_path(rec.path, rec.path)
        self.add_path(rec.data_path, rec.path)

    def owner(self, path):
        """The input that uses ``path``, or None."""
        real, ino = _identity(path)
        if real in self._paths:
            return self._paths[real]
        return self._inodes.get(ino) if ino is not None else None

    def uses(self, path):
        return self.owner(path) is not None


def _describe_os_error(e):
    return e.strerror or str(e)


def check_output(path, *, inputs=None, overwrite=True, what=None):
    """Raise :class:`InputError` unless ``path`` can be written as an output.

    Parameters
    ----------
    path : str
    inputs : InputFiles, optional
        The files the command reads: an output may be none of them.
    overwrite : bool
        Whether an existing file may be replaced (reports and audio: yes; recordings: only when
        asked, else :class:`OutputExists`).
    what : str, optional
        What the output is (an option name), for the message.
    """
    path = str(path)
    label = f"{what}: " if what else ""
    if not path or path.endswith(os.sep):
        raise InputError(f"{label}not a file name", path)
    if inputs is not None and inputs.uses(path):
        owner = inputs.owner(path)
        also = f" (a file of the input {owner})" if owner and owner != path else ""
        raise InputError(f"{label}output would overwrite an input{also}", path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        if e.errno == errno.ENOENT:
            st = None
        else:
            raise InputError(f"{label}cannot write: {_describe_os_error(e)}", path) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{label}is a directory", path)
        if not overwrite:
            raise OutputExists(f"{label}exists: a recording is never replaced silently", path)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{label}exists and is not a regular file", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{label}cannot write: no such directory {folder}", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{label}cannot write: permission denied in {folder}", path)


def temp_path(target):
    """The temporary file of ``target`` for this process: ``.NAME.<pid>.htdsp-tmp`` beside it."""
    d, name = os.path.split(os.path.abspath(target))
    return os.path.join(d, f".{name}.{os.getpid()}{TMP_SUFFIX}")


def _alive(pid):
    if pid == os.getpid():
        return False          # our own leftover (a previous attempt in this process)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True           # someone else's running process
    return True


def remove_stale(target):
    """Remove temporary files a killed run left for ``target`` (not those of running
    processes). Returns the paths removed."""
    d, name = os.path.split(os.path.abspath(target))
    gone = []
    for p in glob.glob(os.path.join(glob.escape(d), f".{glob.escape(name)}.*{TMP_SUFFIX}")):
        m = _TMP_RE.match(os.path.basename(p))
        if m and m.group("name") == name and not _alive(int(m.group("pid"))):
            try:
                os.unlink(p)
                gone.append(p)
            except OSError:
                pass
    return gone


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(path):
    """Make a rename in ``path``'s folder durable (best effort: not every filesystem can)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A complete-file output: written beside the target, renamed over it when whole.

    Parameters
    ----------
    path : str
        The target.
    mode : str
        ``"wb"`` (default) or ``"w"`` (text, UTF-8).
    overwrite : bool
        Whether an existing target may be replaced (checked now and again at commit).

    ``file`` is the open temporary file; :meth:`commit` flushes, syncs and renames it;
    :meth:`abort` removes it. As a context manager it commits on success and aborts on any
    exception (Ctrl-C included).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with AtomicFile(os.path.join(d, "a.txt"), "w") as f:
    ...     _ = f.file.write("whole")
    ...     os.listdir(d)[0].endswith(".htdsp-tmp")     # only the temporary file so far
    True
    >>> os.listdir(d), open(os.path.join(d, "a.txt")).read()
    (['a.txt'], 'whole')
    """

    def __init__(self, path, mode="wb", *, overwrite=True):
        self.path = str(path)
        self.overwrite = overwrite
        remove_stale(self.path)
        self.temp = temp_path(self.path)
        try:
            fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 & ~_umask())
        except OSError as e:
            raise InputError(f"cannot write: {_describe_os_error(e)}", self.path) from None
        if "b" in mode:
            self.file = os.fdopen(fd, "wb")
        else:
            self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.done = False

    def commit(self):
        """Flush, fsync and rename over the target (once)."""
        if self.done:
            return
        f = self.file
        f.flush()
        os.fsync(f.fileno())
        f.close()
        if not self.overwrite and os.path.lexists(self.path):
            self.abort()
            raise OutputExists("appeared while writing: not replaced", self.path)
        os.replace(self.temp, self.path)
        fsync_dir(self.path)
        self.done = True

    def abort(self):
        """Remove the temporary file; the target is left as it was."""
        if self.done:
            return
        self.done = True
        try:
            self.file.close()
        except OSError:
            pass
        try:
            os.unlink(self.temp)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class WholeOrNothing:
    """Base of the writers: as a context manager, ``close()`` (the output appears, whole) when
    the block ends normally, ``abort()`` (nothing appears, or an incremental recording stays
    valid as far as it got) when it ends by any exception, Ctrl-C and SIGTERM included."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abort()


class OutputSet:
    """The outputs of one command: checked together before any work, committed together.

    Parameters
    ----------
    inputs : InputFiles
    overwrite_recordings : bool
        ``--force``: outputs that hold samples may replace existing files.

    :meth:`check` registers a path (raising if it cannot be written, is an input, or is already
    another output of the same command); :meth:`open` also opens its :class:`AtomicFile` now,
    so the path is proven writable before the work; :meth:`commit` renames them all;
    :meth:`abort` removes every temporary file.
    """

    def __init__(self, inputs=None, *, overwrite_recordings=False):
        self.inputs = inputs if inputs is not None else InputFiles()
        self.overwrite_recordings = overwrite_recordings
        self._seen = {}
        self._files = []

    def check(self, path, *, what=None, samples=False):
        path = str(path)
        real = os.path.realpath(path)
        if real in self._seen:
            raise InputError(f"{what or 'output'} names the same file as "
                             f"{self._seen[real] or 'another output'}", path)
        check_output(path, inputs=self.inputs,
                     overwrite=self.overwrite_recordings or not samples, what=what)
        self._seen[real] = what
        return path

    def open(self, path, mode="wb", *, what=None, samples=False):
        """Check ``path`` and open its :class:`AtomicFile` (text for ``mode="w"``)."""
        self.check(path, what=what, samples=samples)
        f = AtomicFile(path, mode, overwrite=self.overwrite_recordings or not samples)
        self._files.append(f)
        return f

    def commit(self):
        for f in self._files:
            f.commit()

    def abort(self):
        for f in self._files:
            f.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            self.abort()
