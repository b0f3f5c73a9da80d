"""Squelch kernels: frame energies, the carrier (power) and noise detectors, and the combiner.

All decisions are made on *frames* (default 2 ms of the channel rate). A detector turns each
frame into "signal present" with hysteresis; the combiner ANDs the terms, applies attack and
hang, and writes events (first and last frame with the signal present) and a per-frame open
mask. State is carried explicitly, so any chunking gives the same frames and decisions.

State layouts (one record each):

``FRAME_ENERGY_STATE``: ``acc`` (float64 partial sum), ``count`` (elements in it).

``LEVEL_DETECT_STATE`` (power and noise detectors): ``ref_db`` (tracked noise floor, or the
noise squelch's no-signal reference), ``seen`` (frames seen, for the warm-up), ``present``
(0/1, the hysteresis state).

``SQUELCH_STATE``: ``open`` (0/1), ``run`` (consecutive frames meeting the condition),
``miss`` (consecutive frames failing it while open; while closing, frames since the forced
close), ``start`` (first frame of the current run), ``last`` (last frame meeting the
condition), ``frame`` (index of the next frame), ``reason_open`` (index of the term that
completed the opening), ``closing`` (1 after a forced close while the carrier is still there:
the audio is shut, the event still runs).
"""

import math

import numpy as np
from numba import njit

from ._config import JIT_RECURSIVE

FRAME_ENERGY_STATE = np.dtype([("acc", np.float64), ("count", np.int64)])
LEVEL_DETECT_STATE = np.dtype([("ref_db", np.float64), ("seen", np.int64),
                               ("present", np.uint8)])
SQUELCH_STATE = np.dtype([("open", np.uint8), ("run", np.int64), ("miss", np.int64),
                          ("start", np.int64), ("last", np.int64), ("frame", np.int64),
                          ("reason_open", np.int64), ("closing", np.uint8)])

#: close reasons written by the combiner (besides the index of the term that failed)
CLOSE_FORCED = -2
#: a frame this far from the reference, away from the signal direction, resets it (dB)
REF_JUMP_DB = 6.0


def frame_energy_state():
    """A fresh FRAME_ENERGY_STATE record array."""
    return np.zeros(1, dtype=FRAME_ENERGY_STATE)


def level_detect_state():
    """A fresh LEVEL_DETECT_STATE record array."""
    return np.zeros(1, dtype=LEVEL_DETECT_STATE)


def squelch_state():
    """A fresh SQUELCH_STATE record array."""
    st = np.zeros(1, dtype=SQUELCH_STATE)
    st[0]["last"] = -1
    st[0]["reason_open"] = -1
    return st


@njit(**JIT_RECURSIVE)
def frame_energy_kernel(x, frame_elems, state, out):
    """Mean square of consecutive frames of ``frame_elems`` elements (float64 sums, in order).

    Parameters
    ----------
    x : float32[n]
        Elements (a float32 view of complex64 for complex data: ``frame_elems = 2 * samples``
        and the mean square is then half the mean power; the detectors work in dB differences).
    frame_elems : int
    state : FRAME_ENERGY_STATE[1]
        The partial frame carried between calls; mutated in place.
    out : float64[>= (count + n) // frame_elems]

    Returns
    -------
    int
        Frames completed by this call.
    """
    acc = state[0]["acc"]
    cnt = state[0]["count"]
    k = 0
    for j in range(x.shape[0]):
        v = np.float64(x[j])
        acc += v * v
        cnt += 1
        if cnt == frame_elems:
            out[k] = acc / frame_elems
            k += 1
            acc = 0.0
            cnt = 0
    state[0]["acc"] = acc
    state[0]["count"] = cnt
    return k


@njit(**JIT_RECURSIVE)
def level_detect_kernel(frame_db, sign, open_db, close_db, absolute, ref_alpha, ref_alpha_up,
                        ref_gate_db, warmup, state, present):
    """Hysteresis detector on a level in dB against a tracked reference (or an absolute one).

    The measured quantity is ``m = sign * (frame_db - ref_db)``: with ``sign = +1`` (power
    squelch) the channel power above the noise floor; with ``sign = -1`` (noise squelch) the
    *quieting*, how far the discriminator's out-of-band noise fell below its no-signal level.
    ``present`` becomes 1 when ``m >= open_db`` and 0 again when ``m < close_db``.

    The reference follows the frames while no signal is present: exponential smoothing with
    ``ref_alpha`` per frame of the level in dB (its median, not the envelope of its
    fluctuations) for frames on the no-signal side of it, with the much slower ``ref_alpha_up``
    for frames toward the signal (a carrier deep in a slow fade sits just above the floor for
    seconds: a fast reference would creep up to it and never let the squelch open again),
    ignoring frames beyond ``ref_gate_db`` in the signal direction, and jumping
    at once to a frame more than ``REF_JUMP_DB`` the other way (a new, lower floor; the noise
    back after a recording that began mid-transmission). During the first ``warmup`` frames
    (the receiver's filters settling) the reference is their running mean and nothing is
    reported present. With
    ``absolute`` set, ``ref_db`` stays at the value given (e.g. 0 for thresholds in dBFS).

    Parameters
    ----------
    frame_db : float64[n]
    sign : float64
        +1 or -1.
    open_db, close_db : float64
    absolute : bool
    ref_alpha, ref_alpha_up, ref_gate_db : float64
    warmup : int
        Frames to settle first.
    state : LEVEL_DETECT_STATE[1]
        Mutated in place.
    present : uint8[n]
        Output per frame.
    """
    ref = state[0]["ref_db"]
    seen = state[0]["seen"]
    p = state[0]["present"]
    for j in range(frame_db.shape[0]):
        f = frame_db[j]
        seen += 1
        if seen <= warmup:
            if not absolute:
                ref += (f - ref) / seen
            present[j] = 0
            continue
        m = sign * (f - ref)
        if p == 0 and m >= open_db:
            p = 1
        elif p == 1 and m < close_db:
            p = 0
        if not absolute and p == 0:
            if m < -REF_JUMP_DB:
                ref = f                      # a step away from the signal: a new floor, at once
            elif m <= 0.0:
                ref += ref_alpha * (f - ref)  # otherwise smooth: the level, not its envelope
            elif m < ref_gate_db:
                ref += ref_alpha_up * (f - ref)
        present[j] = p
    state[0]["ref_db"] = ref
    state[0]["seen"] = seen
    state[0]["present"] = p


@njit(**JIT_RECURSIVE)
def squelch_kernel(ok, force_close, timing, attack, hang, state, term_since, open_mask, events):
    """AND of the terms' per-frame decisions, with attack and hang; events with their frames.

    Parameters
    ----------
    ok : uint8[n_terms, n]
        Each term's "signal present" (or "right tone/code") per frame.
    force_close : uint8[n]
        1 where a term saw the transmitter's own end signal (reverse burst, DCS turn-off): the
        audio closes at once, without its hang. The event runs on while the *timing* terms
        still hold (the carrier is still up after a reverse burst) and ends after the last
        frame they held, with close term -2; with no timing term it ends at once. Within
        ``hang`` frames of the forced close the carrier may fail and come back (a fade in the
        burst's last 100 ms is not its end; the transmitter unkeys within the burst's 80-150 ms,
        so a carrier that returns later is another over); after that its first failure ends
        the event.
    timing : uint8[n_terms]
        1 for the terms that date a transmission (carrier terms: power, noise). The event
        starts where the latest of their current runs began (not when a slower tone or code
        decoder confirmed); with none, where the combined condition's run began.
    attack, hang : int
        Frames the condition must hold to open; frames it may fail before closing.
    state : SQUELCH_STATE[1]
        Mutated in place.
    term_since : int64[n_terms]
        For each term, the frame its current run of ``ok`` began (-1: not ok); mutated. The
        term whose run began last is the one that completed the opening (``open_term``).
    open_mask : uint8[n]
        1 while the squelch is open (the audio gate), including the hang.
    events : int64[>= n // attack + 2, 4]
        Rows ``(start_frame, end_frame_exclusive, open_term, close_term)`` for each transmission
        that *ended* in this call: ``close_term`` is the first term failing when the hang ran
        out, or -2 for a forced close. ``end_frame_exclusive`` is one past the last frame that
        met the condition (the hang keeps the audio open, it does not stretch the event).

    Returns
    -------
    int
        Events written. The event still open at the end stays in the state (see ``start``).
    """
    nt = ok.shape[0]
    is_open = state[0]["open"]
    run = state[0]["run"]
    miss = state[0]["miss"]
    start = state[0]["start"]
    last = state[0]["last"]
    frame = state[0]["frame"]
    reason = state[0]["reason_open"]
    closing = state[0]["closing"]
    k = 0
    for j in range(ok.shape[1]):
        cond = True
        first_fail = -1
        for t in range(nt):
            if ok[t, j] == 0:
                term_since[t] = -1
                if cond:
                    first_fail = t
                cond = False
            elif term_since[t] < 0:
                term_since[t] = frame
        if closing == 1:
            # after a forced close: follow the carrier to its end (its fades bridged within
            # `hang` frames of the close)
            held = True
            any_timing = False
            for t in range(nt):
                if timing[t] == 1:
                    any_timing = True
                    if ok[t, j] == 0:
                        held = False
            miss += 1
            if any_timing and held:
                # after a dropout the carrier must hold for `attack` frames again (as while
                # open: one noise frame is not the carrier back)
                run += 1
                if run >= attack or last == frame - 1:
                    last = frame
            elif not any_timing or miss > hang:
                events[k, 0] = start
                events[k, 1] = last + 1
                events[k, 2] = reason
                events[k, 3] = CLOSE_FORCED
                k += 1
                closing = 0
                run = 0
            else:
                run = 0
        elif is_open == 0:
            if cond:
                if run == 0:
                    start = frame
                run += 1
                if run >= attack:
                    is_open = 1
                    miss = 0
                    last = frame
                    reason = 0
                    for t in range(nt):
                        if term_since[t] >= term_since[reason]:
                            reason = t
                    latest = -1
                    for t in range(nt):
                        if timing[t] == 1 and term_since[t] > latest:
                            latest = term_since[t]
                    if latest >= 0:
                        start = latest
            else:
                run = 0
        else:
            # while open, the condition must hold for `attack` frames again to count as the
            # signal (and to move the event's end): one noise frame in the hang does not
            if cond:
                run += 1
                if run >= attack:
                    miss = 0
                    last = frame
            else:
                run = 0
            if force_close[j]:
                is_open = 0
                closing = 1
                run = 0
                miss = 0
            elif not cond:
                miss += 1
                if miss > hang:
                    events[k, 0] = start
                    events[k, 1] = last + 1
                    events[k, 2] = reason
                    events[k, 3] = first_fail
                    k += 1
                    is_open = 0
                    run = 0
        open_mask[j] = is_open
        frame += 1
    state[0]["open"] = is_open
    state[0]["run"] = run
    state[0]["miss"] = miss
    state[0]["start"] = start
    state[0]["last"] = last
    state[0]["frame"] = frame
    state[0]["reason_open"] = reason
    state[0]["closing"] = closing
    return k


@njit(**JIT_RECURSIVE)
def gate_kernel(audio, mask, mask_base, audio_n, ratio, post, frame, final, final_open, out,
                gate):
    """Zero the audio where the squelch was closed: each sample takes its frame's decision.

    Audio sample ``m`` (absolute index ``audio_n + i``) lies in frame
    ``floor((m * ratio - post) / frame)``: ``ratio`` is channel samples per audio sample,
    ``post`` the resampler's delay in channel samples, ``frame`` channel samples per frame.
    The index depends on ``m`` alone, so the gate cannot depend on the chunking; a sample whose
    frame is not decided yet is left for the next call (``final``: decided by ``final_open``).

    Parameters
    ----------
    audio : float32[n]
        Audio waiting for its gate (the oldest first).
    mask : uint8[k]
        Open (1) / closed per decided frame, starting at frame ``mask_base``.
    mask_base, audio_n : int
    ratio, post : float64
    frame : int
    final : bool
        End of input: gate every sample; frames past the mask take ``final_open``.
    final_open : bool
    out : float32[>= n]
    gate : uint8[>= n]
        The gate per sample gated.

    Returns
    -------
    (int, int)
        Samples gated (``out[:count]``), and the frames at the start of ``mask`` that no later
        sample can need (drop them before the next call).
    """
    nm = mask.shape[0]
    count = 0
    last = 0
    for i in range(audio.shape[0]):
        fr = np.int64(math.floor(((audio_n + i) * ratio - post) / frame)) - mask_base
        if fr >= nm and not final:
            break
        if fr < 0:
            g = False
        elif fr >= nm:
            g = final_open
        else:
            g = mask[fr] != 0
        gate[i] = 1 if g else 0
        out[i] = audio[i] if g else np.float32(0.0)
        last = fr
        count = i + 1
    drop = min(max(last, 0), nm) if count else 0
    return count, drop
