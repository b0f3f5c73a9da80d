"""Signal and channel simulator with ground truth (``htdsp simulate``)."""

from htdsp.sim.channel import ChannelModel
from htdsp.sim.engine import Scenario, simulate
from htdsp.sim.frontend import FrontEnd
from htdsp.sim.transmitter import Transmitter

__all__ = ["ChannelModel", "Scenario", "simulate", "FrontEnd", "Transmitter"]
