"""Structural plasticity: growth curves, homeostatic rewiring, stress, BDNF/mTOR, 5-HT7 sign.

Validation rows (``shared/VALIDATION.md``): P2 (Butz & van Ooyen 2013 homeostatic structural
plasticity; NEST ``testsuite/pytests/test_sp/test_growth_curves.py``), P3 (stress shrinks PFC
spines), P5 (ketamine/BDNF synaptogenesis needs mTOR; Li et al. 2010 Science 329:959), P7 (the
sign of 5-HT7-driven remodeling is a parameter). Small networks: the runtime target (numpy) where
a few simulated seconds suffice, one C++ standalone build for the minute-long homeostasis run.
"""

from __future__ import annotations

import brian2 as b2
import numpy as np
import pytest
from brian2 import Hz, ms, mV, nS, pF, second

from depnet import devices
from depnet.plasticity_rules import growth_curves as gc
from depnet.plasticity_rules import structural as sp
from depnet.quantities import DAY, QuantityError
from tests.conftest import standalone_folder

# --- a minimal conductance-based LIF that carries the structural neuron block -----------------

#: Test neuron: generic cortical LIF (tau_m 20 ms) with the project's AMPA kinetics
#: (Ramirez-Mahaluf et al. 2017: E_ampa 0 mV, tau 2 ms); membrane values chosen for the test.
#: The default slow clock: one simulated second per day.
DAYS_PER_S = 86400.0

LIF = """
dv/dt = (g_L * (E_L - v) + g_ampa * (E_ampa - v)) / C_m : volt (unless refractory)
dg_ampa/dt = -g_ampa / tau_ampa : siemens
occupancy_5ht7 : 1
nmda_block : 1
"""
LIF_NAMESPACE = {
    "g_L": 10 * nS,
    "E_L": -70 * mV,
    "E_ampa": 0 * mV,
    "C_m": 200 * pF,
    "tau_ampa": 2 * ms,
}


def _lif_group(n: int, block: sp.NeuronBlock, name: str) -> b2.NeuronGroup:
    group = b2.NeuronGroup(
        n,
        LIF + block.equations,
        threshold="v > -50*mV",
        reset="v = -60*mV; " + block.reset,
        refractory=2 * ms,
        method="euler",
        namespace=LIF_NAMESPACE,
        name=name,
    )
    group.v = -60 * mV
    return group


# --- 1. growth curves against the exact solution (P2, second half) -----------------------------


def _poisson_train(rng: np.random.Generator, rate: float, start: float, stop: float) -> np.ndarray:
    times = start + np.cumsum(rng.exponential(1.0 / rate, int(3 * rate * (stop - start)) + 10))
    return times[times < stop]


def test_growth_curves_match_exact_solution():
    """Calcium and synaptic elements follow the exact solution within 1% for a given spike train.

    Mirrors NEST's ``test_growth_curves.py``: a neuron fires a fixed irregular train (Poisson,
    12 Hz for 10 s then 2 Hz for 10 s, so calcium rises through the set point and falls back),
    forced by a SpikeGeneratorGroup; the neuron carries the calcium trace (NEST example values:
    tau_Ca 10 s, beta_Ca 1e-3, eps 0.05 -> 5 Hz; eta 0; nu 1e-4/ms) and one element count per
    growth curve (linear, Gaussian, sigmoid), integrated by Brian2 (Euler, dt 0.5 ms). The
    reference integrates the exact solution piecewise between the recorded spikes
    (:func:`growth_curves.exact_trajectory`; a spike's calcium takes effect at the end of its time
    step, as in Brian2's schedule). Measured: largest relative errors about 3e-5 for calcium and
    for each element count (relative to its largest magnitude), far inside VALIDATION P2's 1%.
    """
    dt = 0.5 * ms
    duration = 20.0
    rng = np.random.default_rng(3)
    train = np.concatenate([_poisson_train(rng, 12, 0.0, 10.0), _poisson_train(rng, 2, 10, 19.5)])
    steps = np.unique(np.round(train / float(dt)).astype(int))
    steps = steps[np.concatenate([[True], np.diff(steps) > 4])]  # forced spikes >= 2.5 ms apart
    params = {k: p.value for k, p in gc.PARAMETERS.items()}
    with devices.activated("runtime"):
        b2.defaultclock.dt = dt
        generator = b2.SpikeGeneratorGroup(1, np.zeros(len(steps), int), steps * dt)
        eqs = (
            "x : 1\n"
            + gc.calcium_equations()
            + "".join(gc.element_equation(c, f"z_{c}") for c in gc.CURVES)
            + gc.parameter_declarations(gc.CURVES)
        )
        cell = b2.NeuronGroup(
            1, eqs, threshold="x > 1", reset="x = 0; " + gc.calcium_reset(), method="euler"
        )
        for key, value in params.items():
            setattr(cell, key, value)
        force = b2.Synapses(generator, cell, on_pre="x_post = 2")
        force.connect()
        spikes = b2.SpikeMonitor(cell)
        states = b2.StateMonitor(
            cell, ["Ca", *(f"z_{c}" for c in gc.CURVES)], record=0, dt=100 * ms
        )
        net = b2.Network(generator, cell, force, spikes, states)
        devices.run_network(net, duration * second, "runtime")
        spike_times = np.asarray(spikes.t / second) + float(dt)
        t = np.asarray(states.t / second)
        ca_b2 = np.asarray(states.Ca[0])
        z_b2 = {c: np.asarray(getattr(states, f"z_{c}")[0]) for c in gc.CURVES}
    assert len(spike_times) == len(steps)  # every forced spike fired once
    shape = {"eps": params["eps_Ca"], "eta": params["eta_Ca"], "psi": params["psi_Ca"]}
    for curve in gc.CURVES:
        ca, z = gc.exact_trajectory(
            curve,
            spike_times,
            t,
            tau_ca=float(params["tau_Ca"]),
            beta_ca=params["beta_Ca"],
            nu=float(params["nu_z"]),
            **shape,
        )
        assert ca.max() > 1.3 * params["eps_Ca"]  # the train crosses the set point
        after_first = t > spike_times[0]
        assert np.max(np.abs(ca_b2 - ca)[after_first] / ca[after_first]) < 0.01
        assert np.max(np.abs(z_b2[curve] - z)) < 0.01 * np.max(np.abs(z)), curve
        assert np.ptp(np.sign(np.diff(z))) > 0, curve  # elements both grew and retracted


def test_growth_curves_have_their_zeros_at_the_set_point():
    """Each curve is 0 at eps (and the Gaussian at eta), positive below eps, negative above it.

    Butz & van Ooyen 2013; NEST ``growth_curve.h``. Also checks that the Brian2 expressions and
    the Python functions are the same functions (evaluated on a grid).
    """
    eps, eta, psi = 0.05, 0.0, 0.01
    ca = np.linspace(0.001, 0.2, 50)
    for curve in gc.CURVES:
        g = gc.growth_rate(curve, ca, eps=eps, eta=eta, psi=psi)
        assert abs(float(gc.growth_rate(curve, eps, eps=eps, eta=eta, psi=psi))) < 1e-12
        assert np.all(g[ca < eps * 0.99] > 0) and np.all(g[ca > eps * 1.01] < 0), curve
        namespace = {"Ca": ca, "eps_Ca": eps, "eta_Ca": eta, "psi_Ca": psi}
        expression = gc.growth_expression(curve)
        for function in ("log", "sqrt", "exp"):
            expression = expression.replace(f"{function}(", f"np.{function}(")
        assert np.allclose(eval(expression, {"np": np}, namespace), g), curve
    assert abs(float(gc.growth_rate("gaussian", eta, eps=eps, eta=eta))) < 1e-12
    assert gc.set_point_rate(0.05, 1e-3, 10 * second) == 5 * Hz


# --- 2. the pool -------------------------------------------------------------------------------


def test_pool_has_fixed_size_and_initial_fraction():
    """Every cell gets pool_factor x in-degree distinct candidates and the stated present count."""
    rng = np.random.default_rng(0)
    pool = sp.build_pool(100, 30, 20, rng, pool_factor=2.5, initial_present=0.3, w_cv=0.5)
    assert pool.pool_size == 50 and len(pool.i) == 30 * 50
    assert np.all(np.bincount(pool.j, minlength=30) == 50)
    assert np.all(sp.present_counts(pool.present, pool.j, 30) == 15)
    for cell in range(30):
        assert len(np.unique(pool.i[pool.j == cell])) == 50
    assert abs(pool.w.mean() / 0.3e-9 - 1) < 0.05 and abs(pool.w.std() / pool.w.mean() - 0.5) < 0.05
    default = sp.build_pool(40, 10, 8, rng, no_self=True)
    assert default.pool_size == 16 and default.n_present_initial == 8
    assert not np.any(default.i == default.j)


def test_parameters_are_checked_and_sourced():
    """Every parameter has units, a source; overrides with wrong units are refused."""
    for table in sp.all_parameters().values():
        for name, parameter in table.items():
            assert parameter.source, name
    block = sp.structural_neuron_block("sigmoid")
    declared = {line.split(":")[0].strip() for line in block.equations.splitlines()}
    assert "psi_Ca" in declared and "eta_Ca" not in declared
    group = b2.NeuronGroup(1, LIF + block.equations, namespace=LIF_NAMESPACE)
    with pytest.raises(QuantityError):
        sp.install_neuron_block(group, block, {"tau_Ca": 10 * mV}, time_compression=DAYS_PER_S)
    with pytest.raises(KeyError):
        sp.install_neuron_block(group, block, {"active": 1.0}, time_compression=DAYS_PER_S)
    with pytest.raises(ValueError, match="time_compression must be positive"):
        sp.install_neuron_block(group, block, time_compression=0.0)
    model = sp.structural_synapse_model("g_ampa")
    assert model.on_pre == "g_ampa_post += w * present"
    assert "active" not in model.model + model.update_code + block.equations


def _growing_cells(block: sp.NeuronBlock, equations: str) -> b2.Network:
    """Two cells driven at 20 and 40 Hz from a low calcium trace, so that the Gaussian growth
    curve's value changes every spike."""
    driver = b2.PoissonGroup(2, [20, 40] * Hz, name="drive")
    cells = b2.NeuronGroup(
        2, LIF + equations, threshold="v > -50*mV", reset="v = -60*mV; " + block.reset,
        refractory=2 * ms, method="euler", namespace=LIF_NAMESPACE, name="cells",
    )  # fmt: skip
    cells.v = -60 * mV
    cells.Ca = 0.01
    synapses = b2.Synapses(driver, cells, on_pre="g_ampa_post += 20*nS", name="drive_syn")
    synapses.connect(j="i")
    return b2.Network(driver, cells, synapses, name="growing")


def test_the_elements_grow_by_the_state_updates_own_euler_step_and_leave_its_loop_free_of_exp(
    tmp_path,
):
    """The elements' growth runs in a loop of its own just before the cells' state update: the
    elements then take, to the bit, the forward-Euler step that the state update took when
    ``dz_elem/dt`` was one of its equations (numpy target, one simulated second), and the state
    update that gcc compiles for a cell with structural plasticity calls no exp (the Gaussian
    growth curve's), which would keep it from vectorizing."""
    block = sp.structural_neuron_block("gaussian")
    as_ode = [
        "dz_elem/dt = time_compression * nu_z * growth : 1" if line == "z_elem : 1" else line
        for line in block.equations.splitlines()
    ]
    assert len(set(as_ode) - set(block.equations.splitlines())) == 1
    elements = {}
    for form, equations in (("loop", block.equations), ("ode", "\n".join(as_ode))):
        with devices.activated("runtime"):
            b2.seed(3)
            net = _growing_cells(block, equations)
            cells = net["cells"]
            if form == "loop":
                sp.install_neuron_block(cells, block, time_compression=DAYS_PER_S)
                net.add(cells.contained_objects)
            else:
                for name, value in sp._resolve(block.parameters, None).items():
                    setattr(cells, name, value)
                cells.time_compression = DAYS_PER_S
            net.run(1 * second)
            elements[form] = np.asarray(cells.z_elem[:])
    assert np.all(elements["loop"] != 0)
    np.testing.assert_array_equal(elements["loop"], elements["ode"])

    with devices.activated("cpp", tmp_path / "p"):
        net = _growing_cells(block, block.equations)
        sp.install_neuron_block(net["cells"], block, time_compression=DAYS_PER_S)
        net.run(1 * ms)
        b2.get_device().build(directory=str(tmp_path / "p"), compile=False, run=False)
    code = tmp_path / "p" / "code_objects"
    assert "exp(" in (code / "cells_element_growth_codeobject.cpp").read_text()
    # the runtime networks above may still hold the first "cells_stateupdater"
    (state_update,) = code.glob("cells_stateupdater_codeobject*.cpp")
    assert "exp(" not in state_update.read_text()


# --- 3. homeostasis on a small network: one C++ build, compared with runtime ------------------

#: Homeostasis test settings. tau_Ca is shortened from NEST's 10 s to 1 s of simulated time (a
#: day on the default slow clock; beta_Ca keeps the 5 Hz set point) so that the loop settles
#: within a minute of simulated time; baseline turnover
#: (r_form, r_prune) is off to isolate the Butz-van Ooyen term; new synapses get the input weight.
HOMEOSTASIS = {
    "n_post": 40,
    "n_in": 200,
    "rate_in": 10 * Hz,
    "in_degree": 40,
    "pool_factor": 3.0,
    "w": 2.0 * nS,
    "start_fractions": {"low": 0.1, "high": 0.9},  # 12 / 108 of 120 candidates present
    "curves": ("linear", "sigmoid"),
    "tau_Ca": 1 * DAY,
    "duration": 60 * second,
    "dt": 0.25 * ms,
}
SET_POINT = 5.0  # Hz: eps_Ca / (beta_Ca * tau_Ca) = 0.05 / (0.01 s)


def _homeostasis_network(record_dt: b2.Quantity, seed: int = 7):
    h = HOMEOSTASIS
    rng = np.random.default_rng(seed)
    b2.seed(seed)
    b2.defaultclock.dt = h["dt"]
    source = b2.PoissonGroup(h["n_in"], h["rate_in"], name="inputs")
    objects: list = [source]
    parts = {}
    model = sp.structural_synapse_model()
    for curve in h["curves"]:
        block = sp.structural_neuron_block(curve)
        for start, fraction in h["start_fractions"].items():
            key = f"{curve}_{start}"
            group = _lif_group(h["n_post"], block, f"post_{key}")
            sp.install_neuron_block(
                group,
                block,
                {"tau_Ca": h["tau_Ca"], "beta_Ca": 0.05 / (5 * Hz * h["tau_Ca"])},
                time_compression=DAYS_PER_S,
            )
            pool = sp.build_pool(
                h["n_in"],
                h["n_post"],
                h["in_degree"],
                rng,
                pool_factor=h["pool_factor"],
                initial_present=fraction,
                w_mean=h["w"],
            )
            synapses = sp.make_structural_projection(
                source,
                group,
                pool,
                model,
                {"r_form": 0 * Hz, "r_prune": 0 * Hz, "w_new": h["w"]},
                name=f"pool_{key}",
            )
            spikes = b2.SpikeMonitor(group, name=f"spikes_{key}")
            present = b2.StateMonitor(
                synapses, "present", record=True, dt=record_dt, name=f"present_{key}"
            )
            objects += [group, synapses, spikes, present]
            parts[key] = (pool, spikes, present)
    return b2.Network(objects), parts


def _read(parts) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for key, (pool, spikes, present) in parts.items():
        out[key] = {
            "spike_t": np.asarray(spikes.t / second),
            "t": np.asarray(present.t / second),
            "present": np.asarray(present.present[:]),
            "j": pool.j,
            "pool_size": pool.pool_size,
            "n_post": pool.n_post,
        }
    return out


@pytest.fixture(scope="module")
def homeostasis_cpp() -> dict:
    """The homeostasis network, 60 s on C++ standalone (present flags recorded every 1 s)."""
    with standalone_folder("homeostasis") as build, devices.activated("cpp", build):
        net, parts = _homeostasis_network(record_dt=1 * second)
        devices.run_network(net, HOMEOSTASIS["duration"], "cpp", build)
        return _read(parts)


@pytest.fixture(scope="module")
def homeostasis_runtime() -> dict:
    """The same network, its first 4 s on the runtime target (flags recorded every update)."""
    with devices.activated("runtime"):
        net, parts = _homeostasis_network(record_dt=sp.POOL_PARAMETERS["update_interval"].value)
        devices.run_network(net, 4 * second, "runtime")
        return _read(parts)


def _rate(run: dict, start: float, stop: float) -> float:
    t = run["spike_t"]
    return np.sum((t >= start) & (t < stop)) / (run["n_post"] * (stop - start))


def _mean_present(run: dict) -> np.ndarray:
    return sp.present_counts(run["present"], run["j"], run["n_post"]).mean(axis=0)


def test_homeostasis_returns_rate_to_set_point(homeostasis_cpp):
    """Populations far from the set point rewire back to within 20% of it (VALIDATION P2).

    Four populations of 40 LIF cells, each with a pool of 120 potential synapses from 200 Poisson
    inputs (10 Hz, 2 nS): with the linear and with the sigmoid growth curve, one starts with 10%
    of its pool present (silent: 0 Hz) and one with 90% (about 29 Hz in its first second). Set
    point 5 Hz. Measured (C++, seed 7), mean rate over 30-60 s: linear 4.79 / 4.77 Hz, sigmoid
    4.78 / 4.80 Hz (low / high start), i.e. within 5% of the set point; present synapses per cell
    move from 12 and 108 to 71-73 at 60 s.
    """
    _assert_rewired_to_the_set_point(homeostasis_cpp)


def _assert_rewired_to_the_set_point(runs: dict) -> None:
    """Each population started away from the set point (silent, or at more than three times it)
    and rewired toward it (present synapses up by half, or down by a fifth), and its rate over
    30-60 s is within 20% of it."""
    for key, run in runs.items():
        counts = _mean_present(run)
        early, late = _rate(run, 0, 1), _rate(run, 30, 60)
        if key.endswith("_low"):
            assert early < 0.5 and counts[-1] > 1.5 * counts[0], (key, early, counts[-1])
        else:
            assert early > 3 * SET_POINT and counts[-1] < 0.8 * counts[0], (key, early)
        assert abs(late - SET_POINT) < 0.2 * SET_POINT, (key, late)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_homeostasis_returns_rate_to_set_point_on_every_seed(seed):
    """VALIDATION P2 over seeds (seed 7 above): each new draw of the pools, the initial weights
    and the inputs' spikes rewires all four populations from far off the 5 Hz set point back to
    within 20% of it, as on seed 7 (mean rate over 30-60 s; measured over seeds 1-4 and 7, 20
    populations: 4.75 +- 0.04 Hz, from 4.67 to 4.81 Hz, within 7% of the set point)."""
    with standalone_folder(f"homeostasis_seed{seed}") as build, devices.activated("cpp", build):
        net, parts = _homeostasis_network(record_dt=1 * second, seed=seed)
        devices.run_network(net, HOMEOSTASIS["duration"], "cpp", build)
        runs = _read(parts)
    _assert_rewired_to_the_set_point(runs)


def test_present_plus_absent_equals_pool_size(homeostasis_cpp, homeostasis_runtime):
    """Flags stay 0 or 1, so present + absent = pool size for every cell at every recorded time.

    Runtime: every 100 ms update for 4 s; C++: every 1 s for 60 s, while counts change by ~60.
    """
    for runs in (homeostasis_cpp, homeostasis_runtime):
        for key, run in runs.items():
            flags = run["present"]
            assert np.all((flags == 0) | (flags == 1)), key
            present = sp.present_counts(flags, run["j"], run["n_post"])
            absent = sp.present_counts(1 - flags, run["j"], run["n_post"])
            assert np.all(present + absent == run["pool_size"]), key


def test_runtime_and_cpp_agree(homeostasis_cpp, homeostasis_runtime):
    """Runtime (numpy) and C++ give the same present counts within 10% over the first 4 s.

    Brian2 2.10 draws the same random numbers on both targets, so the counts are expected to
    agree closely (measured: identical mean counts at 0-3 s, e.g. 12 -> 41 and 108 -> 70 per cell
    with the linear curve), while they change by 23-240% over these seconds.
    """
    for key, run in homeostasis_runtime.items():
        cpp = homeostasis_cpp[key]
        rt_counts = _mean_present(run)
        cpp_counts = _mean_present(cpp)
        for second_ in range(4):
            rt = rt_counts[np.isclose(run["t"], second_)][0]
            assert abs(rt / cpp_counts[second_] - 1) < 0.10, (key, second_)
        assert abs(cpp_counts[3] / cpp_counts[0] - 1) > 0.2, key  # the comparison is not trivial


# --- 4. stress, BDNF and rapamycin, 5-HT7 gain sign (runtime, silent cells) --------------------

CONDITIONS = ("control", "stress", "bdnf", "bdnf_rapamycin", "ht7_positive", "ht7_negative")
WARMUP_DAYS, STRESS_DAYS, PULSE_DAY = 7, 21, 14


@pytest.fixture(scope="module")
def interventions() -> dict[str, np.ndarray]:
    """Present synapses per condition, sampled once per compressed day (1 s = 1 day).

    Six groups of 50 silent cells (homeostasis off: nu_z = 0, so only turnover, stress, BDNF,
    mTOR and 5-HT7 act), each with a pool of 80 candidates (in-degree 40, pool_factor 2, equal
    initial weights 0.3 nS), tonic BDNF level 1 (``bdnf_external = 1``; silent cells have no
    activity-driven BDNF), default rates. After a 7-day warm-up: stress = 3 from day 7 on; a
    1-day BDNF pulse (``bdnf_external`` 1 -> 5, ketamine-like) on day 14, with mtor_block = 1
    during the pulse in the rapamycin group; 5-HT7 occupancy 0.5 with gain +1 / -1 throughout.
    """
    with devices.activated("runtime"):
        b2.defaultclock.dt = 5 * ms  # no spikes: only the traces and the 100 ms updates run
        b2.seed(2)
        rng = np.random.default_rng(2)
        block = sp.structural_neuron_block("linear")
        model = sp.structural_synapse_model()
        source = b2.NeuronGroup(100, "", threshold="False", reset="", name="silent_inputs")
        objects: list = [source]
        groups, pools, monitors = {}, {}, {}
        for name in CONDITIONS:
            group = b2.NeuronGroup(
                50,
                "g_ampa : siemens\noccupancy_5ht7 : 1\nnmda_block : 1\n" + block.equations,
                method="euler",
                name=f"c_{name}",
            )
            sp.install_neuron_block(
                group, block, {"nu_z": 0 * Hz, "bdnf_external": 1.0}, time_compression=DAYS_PER_S
            )
            gain = {"ht7_positive": 1.0, "ht7_negative": -1.0}.get(name, 0.0)
            group.occupancy_5ht7 = 0.5
            pools[name] = sp.build_pool(100, 50, 40, rng)
            synapses = sp.make_structural_projection(
                source, group, pools[name], model, {"g_5ht7": gain}, name=f"s_{name}"
            )
            monitors[name] = b2.StateMonitor(
                synapses, "present", record=True, dt=1 * second, name=f"m_{name}"
            )
            objects += [group, synapses, monitors[name]]
            groups[name] = group
        net = b2.Network(objects)
        day = 1 * second
        net.run(WARMUP_DAYS * day + 1 * ms)
        groups["stress"].stress = 3.0
        net.run((PULSE_DAY - WARMUP_DAYS) * day)
        for name in ("bdnf", "bdnf_rapamycin"):
            groups[name].bdnf_external = 5.0
        groups["bdnf_rapamycin"].mtor_block = 1.0
        net.run(1 * day)
        for name in ("bdnf", "bdnf_rapamycin"):
            groups[name].bdnf_external = 1.0
        groups["bdnf_rapamycin"].mtor_block = 0.0
        net.run((WARMUP_DAYS + STRESS_DAYS - PULSE_DAY - 1) * day)
        counts = {}
        for name in CONDITIONS:
            flags = np.asarray(monitors[name].present[:])
            assert np.all((flags == 0) | (flags == 1))
            counts[name] = sp.present_counts(flags, pools[name].j, 50).sum(axis=0)
        return counts


def test_stress_lowers_synapse_density(interventions):
    """21 compressed days of stress (factor 3) lower density by 5-30% vs control (VALIDATION P3).

    Radley et al. 2006 report ~16% apical spine loss after chronic stress. Measured (seed 2):
    control stays within 2.5% of its day-7 value over days 7-28; stress ends 11% below control.
    """
    control, stress = interventions["control"], interventions["stress"]
    end = WARMUP_DAYS + STRESS_DAYS
    assert abs(control[end] / control[WARMUP_DAYS] - 1) < 0.05  # the control is stationary
    change = stress[end] / control[end] - 1
    assert -0.30 < change < -0.05, change


def test_a_day_of_raised_bdnf_forms_synapses_unless_mtor_blocked(interventions):
    """A day of raised BDNF (``bdnf_external`` 1 -> 5) raises density 10-50%; with rapamycin
    the rise is < 25% of it: the rule-level half of P5 (ketamine's own BDNF comes from its
    block, tested in test_nmda_block_at_rest_makes_bdnf_and_no_block_makes_none).

    Li et al. 2010 Science 329:959: ketamine raises L5 mPFC spine synapses through BDNF/mTOR and
    rapamycin blocks it. Rise = density at the end of the raised day minus the day before.
    Measured (seed 2): +18% unblocked, -5% with mtor_block = 1 (formation is multiplied by 0, so
    baseline pruning continues; the blocked rise is -0.26 times the unblocked one). Once the
    BDNF is back at 1, the new, weak synapses are pruned again (+2.5% left 3 days later).
    """
    bdnf, blocked = interventions["bdnf"], interventions["bdnf_rapamycin"]
    rise = bdnf[PULSE_DAY + 1] - bdnf[PULSE_DAY]
    rise_blocked = blocked[PULSE_DAY + 1] - blocked[PULSE_DAY]
    assert 0.10 < rise / bdnf[PULSE_DAY] < 0.50, rise / bdnf[PULSE_DAY]
    assert rise_blocked < 0.25 * rise, (rise_blocked, rise)


def test_5ht7_gain_is_signed(interventions):
    """5-HT7 occupancy raises formation with a positive gain and lowers it with a negative one.

    VALIDATION P7: the sign is contested (Bijata et al. 2017 vs 2022), so it is a parameter;
    this checks only that both signs act. Measured (seed 2), mean density over days 7-28 relative
    to control: +5.3% (gain +1) and -7.3% (gain -1) at occupancy 0.5.
    """
    window = slice(WARMUP_DAYS, WARMUP_DAYS + STRESS_DAYS + 1)
    control = interventions["control"][window].mean()
    positive = interventions["ht7_positive"][window].mean() / control - 1
    negative = interventions["ht7_negative"][window].mean() / control - 1
    assert positive > 0.03 and negative < -0.03, (positive, negative)


def test_the_neuron_block_is_built_once_per_curve_and_read_only():
    """Shared between populations and runs, so nobody may change it."""
    block = sp.structural_neuron_block("gaussian")
    assert sp.structural_neuron_block("gaussian") is block
    with pytest.raises(TypeError):
        block.parameters["tau_Ca"] = block.parameters["tau_bdnf"]


@pytest.mark.parametrize("block", [0.0, 0.15, 0.6])
def test_nmda_block_at_rest_makes_bdnf_and_no_block_makes_none(block):
    """A silent cell whose NMDA receptors are blocked makes BDNF at ``bdnf_translation`` per
    unit of block (Autry et al. 2011 Nature 475:91: ketamine's block at rest lets BDNF be
    translated), which decays with the trace's tau_bdnf: after one day, block * rate * tau *
    (1 - exp(-1 day / tau)). With no block, none: ketamine's BDNF is its block's."""
    block_eqs = sp.structural_neuron_block("linear")
    parameters = sp.NEURON_PARAMETERS
    with devices.activated("runtime"):
        b2.defaultclock.dt = 1 * ms
        cell = b2.NeuronGroup(1, LIF + block_eqs.equations, namespace=LIF_NAMESPACE)
        sp.install_neuron_block(cell, block_eqs, time_compression=DAYS_PER_S)
        cell.bdnf = 0
        cell.nmda_block = block
        b2.Network(cell).run(1 * second)  # one day on this clock
        made = float(cell.bdnf[0])
    tau = float(parameters["tau_bdnf"].value / second)
    rate = float(parameters["bdnf_translation"].value * second)
    expected = block * rate * tau * -np.expm1(-86400 / tau)
    assert made == pytest.approx(expected, rel=1e-3)
    if block:
        assert made > 0.5 * block * 25  # ~25 basal units per unit block per day (P5's size)
    else:
        assert made == 0.0
