"""The raphe-PFC loop's serotonin feedback, with magnitudes (the mechanism; the whole circuit
against R2-R6 is in tests/validation/).

Runs the default scenario on the C++ target (one build, reused as parameters change) for 8 s and
measures over the last 4 s, when [5-HT] has settled (SERT clearance acts over ~1-10 s).
"""

from __future__ import annotations

import pytest

from depnet.analysis import mean_serotonin, open_run, population_rates
from depnet.run import run_scenario
from tests.conftest import small_scenario

DURATION, WARMUP = "8 s", "4 s"


@pytest.fixture(scope="module")
def measure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feedback")
    cache = {}

    def run(**parameters):
        key = tuple(sorted(parameters.items()))
        if key not in cache:
            # Acute: days of autoreceptor desensitization do not fit in seconds of real time.
            spec = small_scenario(
                DURATION, WARMUP, serotonin__desensitization_compression=1, **parameters
            )
            out = folder / f"run{len(cache)}.zarr"
            tree = open_run(run_scenario(spec, device="cpp", out=out, progress=False).store)
            cache[key] = (population_rates(tree), mean_serotonin(tree))
        return cache[key]

    return run


def test_stronger_autoreceptor_gain_lowers_raphe_firing(measure):
    """5-HT1A autoreceptors brake raphe 5-HT cells through GIRK (Martin-Ruiz et al. 2001,
    VALIDATION.md R4): doubling their GIRK gain lowers raphe firing by at least 25%, removing
    them raises it."""
    base, _ = measure()
    strong, _ = measure(drn_5ht__g_girk_max="12 nS")
    none, _ = measure(drn_5ht__g_girk_max="0 nS")
    base_rate = float(base.sel(population="drn_5ht"))
    assert float(strong.sel(population="drn_5ht")) <= 0.75 * base_rate
    assert float(none.sel(population="drn_5ht")) >= 1.1 * base_rate


def test_acute_ssri_slows_the_raphe_through_its_autoreceptors(measure):
    """Acute SSRI suppresses DRN firing via 5-HT1A autoreceptors (Czachura & Rasmussen 2000,
    VALIDATION.md R2): raphe firing falls; without autoreceptors it does not."""
    base, _ = measure()
    ssri, _ = measure(serotonin__ssri_occupancy=0.8)
    assert float(ssri.sel(population="drn_5ht")) <= 0.8 * float(base.sel(population="drn_5ht"))
    no_auto, _ = measure(drn_5ht__g_girk_max="0 nS")
    no_auto_ssri, _ = measure(drn_5ht__g_girk_max="0 nS", serotonin__ssri_occupancy=0.8)
    assert float(no_auto_ssri.sel(population="drn_5ht")) == pytest.approx(
        float(no_auto.sel(population="drn_5ht")), rel=0.1
    )
