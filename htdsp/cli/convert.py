"""``htdsp convert``: a recording from one format to another, metadata kept where it can be."""

import sys

from htdsp.cli import common
from htdsp.errors import EXIT_OK


def add_parser(sub):
    c = sub.add_parser("convert", help="convert a recording between formats, keeping metadata",
                       description="Convert any readable recording to SigMF (.sigmf-meta, "
                       ".sigmf), WAV I/Q (.wav) or raw (.cu8 .cs8 .cs16 .cf32), streamed. "
                       "SigMF keeps all metadata; WAV keeps the rate; raw keeps nothing. The "
                       "output is written beside its name and appears only when whole; an "
                       "existing output is refused unless --force, and an input is never "
                       "overwritten.")
    c.add_argument("input", metavar="IN")
    c.add_argument("output", metavar="OUT")
    common.add_input_options(c)
    c.add_argument("--datatype", choices=["cu8", "cs8", "cs16", "cf32"],
                   help="sample type of a SigMF or WAV output (default: the input's)")
    common.add_force_option(c, "an existing output")
    c.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    c.set_defaults(func=run)


def output_files(path):
    """The files an output name writes (a SigMF pair is two)."""
    from htdsp.io.sigmf import ARCHIVE, DATA, META

    p = str(path)
    if p.endswith((META, DATA)) and not p.endswith(ARCHIVE):
        base = p[: -len(META)] if p.endswith(META) else p[: -len(DATA)]
        return [base + META, base + DATA]
    return [p]


def run(args):
    from htdsp.io import open_writer
    from htdsp.io.outputs import InputFiles, OutputSet

    warn = common.Warner("convert")
    rec = common.open_input(args, args.input)
    warn(rec)
    outputs = OutputSet(InputFiles([rec]), overwrite_recordings=args.force)
    for p in output_files(args.output):
        outputs.check(p, samples=True)
    writer, notes = open_writer(args.output, rec, args.datatype, overwrite=args.force)
    for n in notes:
        print(f"htdsp convert: warning: {args.output}: {n}", file=sys.stderr)
    # same datatype: pass the elements through (lossless, no requantisation)
    with writer:
        for _, chunk in rec.chunks(raw=writer.dt == rec.dt):
            writer.write(chunk)
    warn(rec)
    if not args.quiet:
        print(f"htdsp convert: {rec.path} ({rec.datatype}) -> {args.output} "
              f"({writer.dt.name}): {writer.samples} samples, {rec.duration_s:.3f} s",
              file=sys.stderr)
    return EXIT_OK
