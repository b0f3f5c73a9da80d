"""Signal and channel simulator with ground truth (``htdsp simulate``).

The names below are imported on first use (PEP 562), so that the command line can list the
scenarios (:mod:`htdsp.sim.scenarios`) without loading the simulator.
"""

from htdsp._lazy import lazy

_EXPORTS = {"ChannelModel": "htdsp.sim.channel", "Scenario": "htdsp.sim.engine",
            "simulate": "htdsp.sim.engine", "FrontEnd": "htdsp.sim.frontend",
            "Transmitter": "htdsp.sim.transmitter"}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy(globals(), _EXPORTS)
