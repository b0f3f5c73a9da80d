"""``htdsp demod``: one channel of a recording to audio, optionally with squelch events."""

import sys

from htdsp.cli import common
from htdsp.errors import EXIT_OK, InputError


def add_parser(sub):
    from htdsp.io.audio import AUDIO_FORMATS

    d = sub.add_parser("demod", help="demodulate an NFM channel to audio (WAV, FLAC, Ogg, "
                       "Opus, MP3 or raw s16le)",
                       description="Demodulate one narrowband-FM channel of a recording to "
                       "16-bit audio. Streams the input in constant memory.")
    d.add_argument("input", metavar="IN", help="recording: .sigmf-meta, .sigmf, .wav, or raw "
                   ".cu8 .cs8 .cs16 .cf32 .cfile")
    d.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=f"audio file ({' '.join(AUDIO_FORMATS)}: the format from the "
                   "extension), or - for raw 16-bit little-endian mono on stdout")
    common.add_input_options(d)
    common.add_channel_options(d)
    a = d.add_argument_group("audio")
    a.add_argument("--deemph-us", type=common.DEEMPH_US, default=750.0, metavar="US",
                   help="de-emphasis time constant in microseconds: 750 (NFM, default), 75, "
                   "0 = off")
    a.add_argument("--audio-rate", type=common.AUDIO_RATE, default=48000.0, metavar="HZ",
                   help="audio sample rate: 8000, 16000, 24000 or 48000 (default)")
    q = d.add_argument_group("squelch")
    q.add_argument("--squelch", metavar="SPEC", help=common.SQUELCH_HELP)
    q.add_argument("--events", metavar="FILE",
                   help="write transmissions as JSON lines (- for stdout), or as SigMF "
                   "annotations in FILE.sigmf-meta beside the recording's data")
    q.add_argument("--gate", action="store_true",
                   help="drop the audio while the squelch is closed (default: keep it, zeroed)")
    d.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    d.set_defaults(func=run)


class EventSink:
    """Events as JSON lines (a file or stdout), or SigMF annotations beside the recording; a
    file appears, whole, when the run ends."""

    def __init__(self, path, rec, rx, outputs):
        import os

        self.path, self.rec, self.rx = path, rec, rx
        self.annotations = []
        self._file = None
        if path.endswith(".sigmf-meta"):
            here = os.path.dirname(os.path.abspath(path))
            if here != os.path.dirname(os.path.abspath(rec.data_path)) or \
                    rec.container == "sigmf-archive":
                raise InputError("SigMF event annotations describe the recording in place: "
                                 "write them beside its data file", path)
            outputs.check(path, what="--events")
            self._f = None
        elif path == "-":
            self._f = sys.stdout
        else:
            self._file = outputs.open(path, "w", what="--events")
            self._f = self._file.file

    def write(self, events):
        from htdsp.io.jsonio import dumps
        from htdsp.rx.squelch import event_annotation, with_utc

        for e in events:
            e = with_utc(e, self.rec.datetime)
            if self._f is None:
                ch = self.rx.offset_hz + (self.rec.center_freq_hz or 0.0)
                self.annotations.append(event_annotation(
                    e, ch if self.rec.center_freq_hz else None, self.rx.bandwidth_hz))
            else:
                self._f.write(dumps(e) + "\n")
                self._f.flush()

    def close(self):
        if self._f is None:
            from htdsp.io.sigmf import write_annotations_meta

            write_annotations_meta(self.path, self.rec, self.annotations)


def run(args):
    from htdsp.io import AudioWriter
    from htdsp.io.outputs import InputFiles, OutputSet
    from htdsp.rx.receiver import NFMReceiver

    warn = common.Warner("demod")
    rec = common.open_input(args, args.input)
    warn(rec)
    offset = common.channel_offset(args, rec)
    if (args.events or args.gate) and not args.squelch:
        raise InputError("--events and --gate need --squelch")
    if args.events == "-" and args.output == "-":
        raise InputError("audio and events cannot both go to stdout")
    try:
        rx = NFMReceiver(rec.sample_rate_hz, offset, bandwidth_hz=args.bandwidth,
                         deviation_hz=args.deviation, audio_fs=args.audio_rate,
                         deemph_tau_s=args.deemph_us * 1e-6,
                         input_format=rec.format or "cf32", squelch=args.squelch)
    except ValueError as e:
        raise InputError(str(e), rec.path) from None
    if rx.squelch is not None and rx.squelch.added_term is not None and not args.quiet:
        common.warn_line("demod", f"--squelch {args.squelch} has no carrier term: using "
                         f"{rx.squelch.spec}")
    with OutputSet(InputFiles([rec])) as outputs:
        if args.output != "-":
            outputs.check(args.output, what="-o")
        sink = EventSink(args.events, rec, rx, outputs) if args.events else None
        n_events = 0
        with AudioWriter(args.output, rx.audio_fs) as out:
            def emit(audio, events):
                nonlocal n_events
                out.write(audio[rx.last_gate] if args.gate else audio)
                n_events += len(events)
                if sink:
                    sink.write(events)

            for _, chunk in rec.chunks():
                audio = rx.process(chunk)
                emit(audio, rx.pop_events() if rx.squelch is not None else [])
            if rx.squelch is not None:
                emit(rx.flush(), rx.finish())
        if sink:
            sink.close()
        outputs.commit()
    warn(rec)
    if not args.quiet:
        where = "stdout" if args.output == "-" else args.output
        clip = f", {out.clipped} samples clipped" if out.clipped else ""
        sq = f", {common.plural(n_events, 'transmission')}" if rx.squelch is not None else ""
        print(f"htdsp demod: {rec.path}: {rec.duration_s:.3f} s at {rec.sample_rate_hz:.0f} S/s "
              f"-> {where}: {out.samples / rx.audio_fs:.3f} s of audio at {rx.audio_fs:.0f} Hz"
              f"{clip}{sq}", file=sys.stderr)
    return EXIT_OK
