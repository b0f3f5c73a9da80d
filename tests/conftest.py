import os

import pytest
from hypothesis import HealthCheck, settings

# deadline=None: the first example of a kernel may compile it (or load it from Numba's cache)
settings.register_profile(
    "ci", deadline=None, max_examples=25, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def quick_retries(monkeypatch):
    """rtl_tcp reconnections back off from 10 ms instead of 0.5 s (the budget is the same)."""
    from htdsp.sources import RtlTcpSource

    defaults = dict(RtlTcpSource.__init__.__kwdefaults__)
    defaults["backoff_s"] = 0.01
    monkeypatch.setattr(RtlTcpSource.__init__, "__kwdefaults__", defaults)
