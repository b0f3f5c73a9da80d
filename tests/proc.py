"""What the process itself holds (Linux ``/proc``), for the memory tests and the soak bench."""

import ctypes
import gc


def rss_mb():
    """Resident memory, MB, after returning freed memory to the system (glibc keeps freed
    pages in its arenas; what is measured is what is live)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")
