"""``htdsp info``: what recordings are and what their samples look like."""


from htdsp import __version__
from htdsp.cli import common
from htdsp.errors import EXIT_OK, EXIT_USAGE, HtdspError


def add_parser(sub):
    i = sub.add_parser("info", help="describe recordings: format, rate, level, clipping, DC, IQ "
                       "imbalance, usability, SigMF captures and annotations",
                       description="Read each recording once (streamed) and report its "
                       "format and metadata and the statistics of its samples. Exit 2 when "
                       "any file cannot be read (the others are still described).")
    i.add_argument("inputs", nargs="+", metavar="FILE", help="recordings")
    common.add_input_options(i)
    i.add_argument("--json", action="store_true",
                   help="print one JSON object (schema htdsp.info/1, see README)")
    i.set_defaults(func=run)


def run(args):
    from htdsp.info import describe, format_text
    from htdsp.io.jsonio import dumps

    warn = common.Warner("info")
    results = []
    failed = False
    for path in args.inputs:
        try:
            rec = common.open_input(args, path)
            warn(rec)
            results.append(describe(rec))
            warn(rec)
        except HtdspError as e:
            common.error_line("info", e)
            failed = True
    if args.json:
        print(dumps({"schema": "htdsp.info/1", "htdsp_version": __version__,
                     "files": results}, indent=2,
                    warn=lambda m: common.warn_line("info", m)))
    elif results:
        print("\n\n".join(format_text(r) for r in results))
    return EXIT_USAGE if failed else EXIT_OK
