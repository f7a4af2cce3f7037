"""Per-cell constants of the shared neuron computed on the host: the background's cumulative
Poisson thresholds and the refractory window (``depnet.circuits.neuron.derived_columns``)."""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms, second
from scipy.stats import poisson

from depnet import devices
from depnet.circuits import neuron
from depnet.circuits.counter_rng import counter_uniform
from depnet.errors import ScenarioError
from depnet.scenarios.interventions import Block, Effect, Intervention, Kind
from depnet.scenarios.schedule import epoch_cuts

DT = 1e-4  # s


def test_thresholds_are_the_poisson_cdf_and_the_cap_is_enforced():
    lam = np.array([0.0, 0.02, 0.18, 0.45])
    cdf = neuron.background_thresholds(lam)
    assert cdf.shape == (neuron.BACKGROUND_TERMS, len(lam))
    k = np.arange(neuron.BACKGROUND_TERMS)[:, None]
    np.testing.assert_allclose(cdf, poisson.cdf(k, lam), rtol=0, atol=1e-15)
    # the cap moves P(X > BACKGROUND_TERMS) onto BACKGROUND_TERMS: refused from BACKGROUND_TAIL
    assert poisson.sf(neuron.BACKGROUND_TERMS, 0.45) < neuron.BACKGROUND_TAIL
    with pytest.raises(ValueError, match="BACKGROUND_TERMS"):
        neuron.background_thresholds(np.array([0.18, 0.6]))


def test_background_draws_poisson_counts_with_one_uniform_per_cell():
    """BACKGROUND_CODE as Brian2 runs it (numpy target): one step of 200,000 cells at the
    cortical background's lambda 0.18 gives Poisson counts (each frequency within 5 binomial
    standard errors)."""
    n, lam = 200_000, 0.18
    declarations = [f"{name} : 1 (constant)" for name in neuron.BACKGROUND_CDF]
    with devices.activated("runtime"):
        b2.seed(3)
        group = b2.NeuronGroup(
            n,
            "\n".join(
                [
                    "g_ampa : siemens",
                    "background_weight : siemens (constant)",
                    "stim_gain_a : siemens (constant)",
                    "stim_gain_b : siemens (constant)",
                    "pulse_a : 1",
                    "pulse_b : 1",
                    "background_key : integer (constant, shared)",
                    *declarations,
                ]
            ),
            name="bg",
            namespace={"counter_uniform": counter_uniform},
        )
        group.background_weight = 1 * b2.nS
        for name, column in zip(
            neuron.BACKGROUND_CDF, neuron.background_thresholds(np.full(n, lam)), strict=True
        ):
            setattr(group, name, column)
        group.run_regularly(neuron.BACKGROUND_CODE, dt=DT * b2.second)
        b2.run(DT * b2.second)
        counts = np.rint(np.asarray(group.g_ampa[:]) / 1e-9).astype(int)
    k = np.arange(neuron.BACKGROUND_TERMS + 1)
    observed = np.bincount(counts, minlength=len(k))[: len(k)] / n
    expected = poisson.pmf(k, lam)
    se = np.sqrt(expected * (1 - expected) / n)
    assert counts.max() <= neuron.BACKGROUND_TERMS
    assert np.all(np.abs(observed - expected) <= 5 * se + 1e-12)


def test_refractory_window_counts_the_steps_brian2_counts():
    """``t - lastspike < refractory_window`` holds in exactly the steps where Brian2's
    ``timestep(t - lastspike, dt) < timestep(t_ref, dt)`` does, for periods on and off the grid
    of steps and spike times late in a long run (rounding of ``t - lastspike``)."""
    t_ref = np.concatenate([np.arange(0, 31) * DT, np.random.default_rng(1).uniform(0, 3e-3, 200)])
    columns = {
        "t_ref": t_ref,
        "C_m": np.ones_like(t_ref),
        "tau_ahp": np.ones_like(t_ref),
        "background_n": np.zeros_like(t_ref),
        "background_rate": np.zeros_like(t_ref),
    }
    window = neuron.derived_columns(columns, DT)["refractory_window"]

    def timestep(x):
        return np.floor((x + 1e-3 * DT) / DT)

    for spike_step in (0, 123_456, 98_765_432):  # up to ~2.7 h of simulated time
        lastspike = spike_step * DT
        for k in range(40):
            elapsed = (spike_step + k) * DT - lastspike
            brian2_refractory = timestep(elapsed) < timestep(t_ref)
            np.testing.assert_array_equal(elapsed < window, brian2_refractory)


@pytest.mark.parametrize("variable", sorted(neuron.DERIVED_SOURCES))
def test_interventions_cannot_change_what_constants_are_derived_from(variable):
    """Per-cell constants are computed from these at build: an intervention that changed one
    during a run would leave them stale, so only protocol variables may change (one line)."""
    kind = Kind(
        "probe", "changes a parameter", {},
        blocks=lambda s, w: [Block(w.start, w.stop, (Effect("dlpfc_exc", variable, 1.0),))],
    )  # fmt: skip
    item = Intervention(kind, 0.1 * second, None, {})
    with pytest.raises(ScenarioError, match=f"probe changes {variable} on dlpfc_exc, which cannot"):
        epoch_cuts([item], [], 1 * second, 0.1 * ms, 1 * second)
