"""Make the bundled band capture: 1 s of the simulator's `band` scenario at 2.4 MS/s, cu8
(eight users on 12.5 kHz raster channels across the band; the truth is in its metadata).

    python captures/band/make_band.py
"""

from pathlib import Path

from htdsp.sim import simulate
from htdsp.sim.scenarios import scenario

HERE = Path(__file__).resolve().parent


def main():
    simulate(scenario("band", 1.0), str(HERE / "band.sigmf-meta"), overwrite=True)


if __name__ == "__main__":
    main()
