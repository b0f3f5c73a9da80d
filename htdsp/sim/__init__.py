"""Signal and channel simulator with ground truth (``htdsp simulate``).

The names below are imported on first use (PEP 562), so that the command line can list the
scenarios (:mod:`htdsp.sim.scenarios`) without loading the simulator.
"""

import importlib

_EXPORTS = {"ChannelModel": "htdsp.sim.channel", "Scenario": "htdsp.sim.engine",
            "simulate": "htdsp.sim.engine", "FrontEnd": "htdsp.sim.frontend",
            "Transmitter": "htdsp.sim.transmitter"}

__all__ = list(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'htdsp.sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_EXPORTS})
