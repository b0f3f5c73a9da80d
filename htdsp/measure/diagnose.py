"""Why a channel showed no transmission: one line for the user, from what the meter saw."""

import math

import numpy as np


def _bursts(p, rate_hz, threshold):
    """``(count, longest_s)`` of runs of ``p > threshold`` at least 2 ms long."""
    above = np.concatenate([[False], p > threshold, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    runs = (edges[1::2] - edges[::2]) / rate_hz
    runs = runs[runs >= 0.002]
    return int(runs.size), float(runs.max()) if runs.size else 0.0


def no_transmission_reason(meter, squelch_kinds, duration_s):
    """Why a channel run found no transmission, with a way out: one line for the user.

    Looks at what the meter saw: the capture's length against what the squelch and one window
    need, and the channel's 1 ms power against its own floor (the 20th percentile: a burst
    cannot raise it) for carrier bursts, their number and length; then names what most likely
    kept the squelch shut.
    """
    from htdsp.rx.squelch import WARMUP_S

    win = meter.window_s
    need = WARMUP_S + win
    if duration_s < need:
        return (f"the capture lasts {duration_s * 1e3:.1f} ms, too short to score: the squelch "
                f"settles for {WARMUP_S * 1e3:.0f} ms and a measurement window is "
                f"{win * 1e3:.0f} ms; record at least a few seconds")
    r, rate = meter.envelope()
    p = r * r
    floor = float(np.percentile(p, 20)) if p.size else 0.0
    peak = float(p.max()) if p.size else 0.0
    if not peak > 0:
        return "the channel holds no power at all: check the recording and the channel"
    rise_db = 10 * math.log10(peak / floor) if floor > 0 else math.inf
    if rise_db < 6.0:
        return ("no carrier rose above the noise in this channel: check the frequency "
                "(`channel_hz` / `offset_hz`) or whether anyone transmitted")
    n, longest = _bursts(p, rate, floor * 10 ** 0.6)
    if n == 0:
        return (f"nothing rose above the noise for 2 ms or more in this channel (spikes up to "
                f"{min(rise_db, 99.0):.0f} dB above the floor: impulsive noise, not a "
                "carrier): check the frequency (`channel_hz` / `offset_hz`) or whether anyone "
                "transmitted")
    what = (f"{'a carrier burst' if n == 1 else f'{n} carrier bursts'} up to "
            f"{longest * 1e3:.0f} ms long and {min(rise_db, 99.0):.0f} dB above the floor "
            f"{'was' if n == 1 else 'were'} seen, but ")
    if "noise" in squelch_kinds:
        why = ("the noise squelch never opened: the signal may not be voice FM (data or a wide "
               "signal keeps its 8-16 kHz band busy); try `squelch=power`")
    elif "power" in squelch_kinds:
        why = ("the power squelch never opened: it learns the floor from a noise-only start, "
               "so a capture that starts with the carrier on is missed; try "
               "`squelch=power:-40dbfs` (an absolute level)")
    else:
        why = "the squelch never opened"
    out = what + why
    if longest < win:
        out += (f"; bursts shorter than one {win * 1e3:.0f} ms window cannot be judged even "
                "when found (`window_s=10ms` is the shortest)")
    return out
