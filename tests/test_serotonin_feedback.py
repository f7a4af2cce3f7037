"""The raphe-PFC loop's serotonin feedback, with magnitudes (the mechanism; the whole circuit
against R2-R6 is in tests/validation/).

Runs the default scenario on the C++ target (one build, reused as parameters change) for 8 s and
measures over the last 4 s, when [5-HT] has settled (SERT clearance acts over ~1-10 s).
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest

from depnet import devices
from depnet.analysis import mean_serotonin, open_run, population_rates
from depnet.circuits import neuron
from depnet.run import build_network, run_scenario
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
            spec = small_scenario(DURATION, WARMUP, compressed_day="86400 s", **parameters)
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


def test_receptor_conductances_follow_the_occupancy_each_millisecond():
    """An sgACC pyramidal cell's GIRK (5-HT1A) and Ih-like (5-HT7) conductances are g_max times
    the region's occupancy, read every RECEPTOR_INTERVAL (1 ms, ten 0.1 ms steps) and held in
    between, while the occupancy moves every step (numpy target)."""
    spec = small_scenario("5 ms", "0 ms")
    with devices.activated("runtime"):
        circuit, _, network = build_network(spec)
        pyramidal = circuit.placements["sgacc_exc"]
        cell = pyramidal.start
        cells = b2.StateMonitor(pyramidal.group, ["g_girk", "g_h"], record=[cell], when="end")
        binding = b2.StateMonitor(
            circuit.compartments, ["occupancy_5ht1a", "occupancy_5ht7"],
            record=[circuit.regions.index("sgacc")], when="end",
        )  # fmt: skip
        network.add(cells, binding)
        network.run(5 * b2.ms)
    steps_per_update = int(round(neuron.receptor_interval(spec.scenario.dt) / spec.scenario.dt))
    assert steps_per_update == 10
    sampled = np.arange(len(cells.t)) // steps_per_update * steps_per_update
    for g, occupancy, g_max in (("g_girk", "occupancy_5ht1a", "g_girk_max"),
                                ("g_h", "occupancy_5ht7", "g_5ht7_max")):  # fmt: skip
        g_max_cell = getattr(pyramidal.group, g_max)[cell]
        assert g_max_cell > 0 * b2.nS
        expected = g_max_cell * getattr(binding, occupancy)[0][sampled]
        np.testing.assert_allclose(getattr(cells, g)[0], expected, rtol=1e-12)
        assert np.all(np.diff(getattr(binding, occupancy)[0][:steps_per_update]) != 0)
        assert np.all(np.diff(getattr(cells, g)[0][:steps_per_update]) == 0)


#: 5-CT (a 5-HT1A agonist) hyperpolarized silent rat DRN 5-HT cells in slices by 8.1 +- 1.6 mV,
#: mean +- SEM of 14 cells (Kirby, Pernar, Valentino & Beck 2003 Neuroscience 116:669, Table 2,
#: read through NeuroElectro; the 5-CT concentration: [check]).
KIRBY_2003_MV, KIRBY_2003_SEM_MV, KIRBY_2003_CELLS = 8.1, 1.6, 14


def test_the_raphe_gain_sized_for_r4_hyperpolarizes_a_resting_cell_twice_as_much_as_in_slices():
    """The raphe's 5-HT1A gain (``g_girk_max``, calibrated to R4) at full occupancy takes a 5-HT
    cell without its pacemaker drive from E_L to the steady state of leak and GIRK, 15 mV lower:
    about twice Kirby et al.'s 8.1 mV, 1.2 s.d. of the cells' spread (~6 mV) above it. Sized from
    that mean instead, the gain (~1.9 nS) would leave the driven cell's steady state at full
    occupancy above threshold, so R4's silence rests on the larger gain (reported in the
    validation docs, not a claim)."""
    from depnet.circuits.raphe import DRN_5HT

    def mv(name: str) -> float:
        table = DRN_5HT if name in DRN_5HT else neuron.SYNAPTIC_PARAMETERS
        return float(table[name].value / b2.mV)

    g_l, g_girk = (float(DRN_5HT[k].value / b2.nS) for k in ("g_L", "g_girk_max"))
    drop = (mv("E_L") - mv("E_K")) * g_girk / (g_l + g_girk)
    assert drop == pytest.approx(15.0)
    assert drop / KIRBY_2003_MV == pytest.approx(1.85, abs=0.01)
    spread = KIRBY_2003_SEM_MV * np.sqrt(KIRBY_2003_CELLS)
    assert abs(drop - KIRBY_2003_MV) < 1.5 * spread
    g_from_slices = KIRBY_2003_MV * g_l / (mv("E_L") - mv("E_K") - KIRBY_2003_MV)
    assert g_from_slices == pytest.approx(1.92, abs=0.01)
    drive = float(DRN_5HT["I_bias_mean"].value / b2.pA)  # pA / nS = mV
    v_full = (g_l * mv("E_L") + g_from_slices * mv("E_K") + drive) / (g_l + g_from_slices)
    assert v_full > mv("V_th")
