import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI runs deterministically and without deadlines (a shared 2-core machine is noisy).
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with float32 as default dtype, a seeded generator and NumPy's
    floating-point error settings as they were."""
    import minigrad

    minigrad.set_default_dtype(minigrad.float32)
    minigrad.manual_seed(0)
    settings = np.geterr()
    yield
    minigrad.set_default_dtype(minigrad.float32)
    np.seterr(**settings)
