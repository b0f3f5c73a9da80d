"""The receive side: the NFM receiver, its squelch (power, noise, CTCSS, DCS terms) and the
sub-audible decoders. Imports nothing from the simulator, the pipeline, the sinks or the CLI."""
