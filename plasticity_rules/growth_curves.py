"""Homeostatic growth curves for synaptic elements (Butz & van Ooyen 2013), as in NEST.

A neuron's intracellular calcium is a low-pass trace of its spikes,

.. math:: \\frac{dCa}{dt} = -\\frac{Ca}{\\tau_{Ca}} + \\beta_{Ca} \\sum_k \\delta(t - t_k),

so that its mean is ``beta_Ca * tau_Ca * rate``: with NEST's example values (tau_Ca 10 s,
beta_Ca 1e-3) a set point ``eps_Ca = 0.05`` means 5 Hz. The number of synaptic elements ``z``
(dendritic spines or axonal boutons) grows or shrinks with a growth curve ``G(Ca)``,

.. math:: \\frac{dz}{dt} = \\nu \\, G(Ca),

where ``nu`` is the growth rate (elements per unit time) and ``G`` is one of

``linear``
    ``G = 1 - Ca/eps`` (Butz & van Ooyen 2013 PLoS Comput Biol 9:e1003259; NEST
    ``growth_curve_linear``): grows below the set point, shrinks above it, unbounded below.
``gaussian``
    ``G = 2 exp(-((Ca - xi)/zeta)^2) - 1`` with ``xi = (eta + eps)/2`` and
    ``zeta = (eta - eps)/(2 sqrt(ln 2))`` (Butz & van Ooyen 2013; NEST ``growth_curve_gaussian``):
    zero at ``eta`` (below it elements retract: too little activity) and at ``eps`` (the set
    point), maximal growth half-way, ``G`` in [-1, 1].
``sigmoid``
    ``G = 2/(1 + exp((Ca - eps)/psi)) - 1`` (Butz, Steenbuck & van Ooyen 2014 Front Synaptic
    Neurosci 6:7; NEST ``growth_curve_sigmoid``): zero at ``eps``, width ``psi``, ``G`` in [-1, 1].

This module gives each curve twice: as a Brian2 expression string (for equations and
``run_regularly`` code) and as a Python function, together with an exact piecewise solution of
the calcium trace and the element count for a given spike train (the reference that NEST's
``testsuite/pytests/test_sp/test_growth_curves.py`` also integrates between spikes). Between two
spikes calcium decays exactly exponentially; the linear curve then integrates in closed form, the
Gaussian and sigmoid curves with 64-point Gauss-Legendre quadrature of an analytic integrand on
sub-intervals no longer than ``tau_Ca / 4`` (error far below 1e-10 relative).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from brian2 import Quantity, second

from depnet.quantities import Parameter

#: Growth curves known to :func:`growth_expression` and :func:`growth_rate`.
CURVES = ("linear", "gaussian", "sigmoid")

_NEST_EXAMPLE = "NEST example pynest/examples/structural_plasticity.py"

#: Calcium trace and growth-curve parameters. ``Ca`` is dimensionless (NEST's convention), so
#: ``eps_Ca`` is a set point in the trace's units: rate = eps_Ca / (beta_Ca * tau_Ca).
PARAMETERS: dict[str, Parameter] = {
    "tau_Ca": Parameter(
        10 * second, f"{_NEST_EXAMPLE} (tau_Ca 10000 ms); Butz & van Ooyen 2013", low=1e-3 * second
    ),
    "beta_Ca": Parameter(1e-3, f"{_NEST_EXAMPLE} (beta_Ca 0.001 per spike)", low=0),
    "eps_Ca": Parameter(
        0.05, f"{_NEST_EXAMPLE} (eps 0.05: 5 Hz set point with tau_Ca and beta_Ca)", low=1e-12
    ),
    "eta_Ca": Parameter(
        0.0,
        f"{_NEST_EXAMPLE} (eta 0 for excitatory elements); Gaussian curve only, below eps_Ca",
    ),
    "psi_Ca": Parameter(
        0.01,
        "chosen: sigmoid width a fifth of eps_Ca, so that G(0) = 0.99 and G(2 eps) = -0.99 "
        "(NEST growth_curve_sigmoid; Butz, Steenbuck & van Ooyen 2014)",
        low=1e-12,
    ),
    "nu_z": Parameter(
        1e-4 / (1e-3 * second),
        f"{_NEST_EXAMPLE} (growth_rate 1e-4 elements/ms for excitatory elements)",
    ),
}


def growth_expression(curve: str, ca: str = "Ca") -> str:
    """Brian2 expression for the growth curve ``G(Ca)`` (dimensionless).

    Parameters
    ----------
    curve
        ``"linear"``, ``"gaussian"`` or ``"sigmoid"``.
    ca
        Name (or expression) of the calcium trace.

    Returns
    -------
    str
        An expression in ``ca`` and the shared parameters ``eps_Ca`` (all curves), ``eta_Ca``
        (Gaussian) and ``psi_Ca`` (sigmoid). ``xi`` and ``zeta`` of the Gaussian curve are
        written out, so that they follow ``eta_Ca`` and ``eps_Ca`` when those change.
    """
    if curve == "linear":
        return f"(1 - ({ca}) / eps_Ca)"
    if curve == "gaussian":
        xi = "((eta_Ca + eps_Ca) / 2)"
        zeta = "((eta_Ca - eps_Ca) / (2 * sqrt(log(2))))"
        return f"(2 * exp(-((({ca}) - {xi}) / {zeta})**2) - 1)"
    if curve == "sigmoid":
        return f"(2 / (1 + exp((({ca}) - eps_Ca) / psi_Ca)) - 1)"
    raise ValueError(f"unknown growth curve {curve!r}; choose from {', '.join(CURVES)}")


def calcium_equations(ca: str = "Ca") -> str:
    """Brian2 equations of the calcium trace and its parameters (``Ca += beta_Ca`` at a spike).

    The spike increment belongs in the group's reset: see :func:`calcium_reset`.
    """
    return (
        f"d{ca}/dt = -{ca} / tau_Ca : 1\n"
        "tau_Ca : second (shared, constant)\n"
        "beta_Ca : 1 (shared, constant)\n"
    )


def calcium_reset(ca: str = "Ca") -> str:
    """Reset statement that adds one spike's calcium influx."""
    return f"{ca} += beta_Ca"


def element_equation(curve: str, z: str = "z", ca: str = "Ca", rate: str = "nu_z") -> str:
    """Brian2 equation line ``dz/dt = rate * G(Ca) : 1`` for the growth curve ``curve``.

    Parameters
    ----------
    curve
        Growth curve name (see :data:`CURVES`).
    z
        Name of the synaptic-element variable (elements, dimensionless).
    ca
        Name of the calcium trace.
    rate
        Expression for the growth rate, in 1/second (e.g. ``"nu_z"`` or
        ``"time_compression * nu_z"``). Declare its names and the curve's parameters with
        :func:`parameter_declarations`.
    """
    return f"d{z}/dt = {rate} * {growth_expression(curve, ca)} : 1\n"


def parameter_declarations(curves: Sequence[str], *, nu_z: bool = True) -> str:
    """Shared-constant declarations of the parameters that ``curves`` read (each once).

    Parameters
    ----------
    curves
        Growth curves used in one group.
    nu_z
        Also declare the growth rate ``nu_z`` (1/second).
    """
    names: list[str] = []
    for curve in curves:
        names += [n for n in curve_parameter_names(curve) if n not in names]
    lines = [f"{name} : 1 (shared, constant)" for name in names]
    if nu_z:
        lines.append("nu_z : hertz (shared, constant)")
    return "\n".join(lines) + "\n"


def curve_parameter_names(curve: str) -> tuple[str, ...]:
    """Names of the growth-curve parameters that ``curve`` reads (besides calcium's)."""
    return {
        "linear": ("eps_Ca",),
        "gaussian": ("eps_Ca", "eta_Ca"),
        "sigmoid": ("eps_Ca", "psi_Ca"),
    }[curve]


def growth_rate(
    curve: str,
    ca: np.ndarray | float,
    *,
    eps: float = 0.05,
    eta: float = 0.0,
    psi: float = 0.01,
) -> np.ndarray:
    """The growth curve ``G(Ca)`` evaluated in Python (reference for the Brian2 expressions).

    Parameters
    ----------
    curve
        ``"linear"``, ``"gaussian"`` or ``"sigmoid"``.
    ca
        Calcium values.
    eps, eta, psi
        Set point, Gaussian lower zero, sigmoid width (see the module docstring).
    """
    ca = np.asarray(ca, dtype=float)
    if curve == "linear":
        return 1.0 - ca / eps
    if curve == "gaussian":
        xi = (eta + eps) / 2.0
        zeta = (eta - eps) / (2.0 * np.sqrt(np.log(2.0)))
        return 2.0 * np.exp(-(((ca - xi) / zeta) ** 2)) - 1.0
    if curve == "sigmoid":
        return 2.0 / (1.0 + np.exp((ca - eps) / psi)) - 1.0
    raise ValueError(f"unknown growth curve {curve!r}; choose from {', '.join(CURVES)}")


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _segment_integral(curve: str, ca0: float, length: float, tau: float, **shape: float) -> float:
    """Integral of ``G(ca0 * exp(-s/tau))`` over ``s`` in ``[0, length]`` (seconds)."""
    if length <= 0:
        return 0.0
    if curve == "linear":
        eps = shape.get("eps", 0.05)
        return length - ca0 * tau * (1.0 - np.exp(-length / tau)) / eps
    n_sub = max(1, int(np.ceil(length / (tau / 4.0))))
    edges = np.linspace(0.0, length, n_sub + 1)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        s = 0.5 * (b - a) * _GL_NODES + 0.5 * (a + b)
        total += (
            0.5
            * (b - a)
            * float(np.sum(_GL_WEIGHTS * growth_rate(curve, ca0 * np.exp(-s / tau), **shape)))
        )
    return total


def exact_trajectory(
    curve: str,
    spike_times: Sequence[float] | np.ndarray,
    sample_times: Sequence[float] | np.ndarray,
    *,
    tau_ca: float,
    beta_ca: float,
    nu: float,
    ca0: float = 0.0,
    z0: float = 0.0,
    eps: float = 0.05,
    eta: float = 0.0,
    psi: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact calcium and element count at ``sample_times`` for a given spike train.

    Calcium decays exponentially between spikes and jumps by ``beta_ca`` at each spike (the jump
    counts for samples at or after the spike time); ``z`` integrates ``nu * G(Ca)`` piecewise
    between spikes, as NEST's reference integrators do. Unlike NEST, ``z`` is not floored at 0.

    Parameters
    ----------
    curve
        Growth curve name.
    spike_times, sample_times
        Seconds, as plain floats; both sorted.
    tau_ca, beta_ca
        Calcium time constant (seconds) and increment per spike.
    nu
        Growth rate in elements per second (already multiplied by any time compression).
    ca0, z0
        Values at time 0.
    eps, eta, psi
        Growth-curve parameters.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Calcium and element count at each sample time.
    """
    spikes = np.asarray(spike_times, dtype=float)
    samples = np.asarray(sample_times, dtype=float)
    if np.any(np.diff(spikes) < 0) or np.any(np.diff(samples) < 0):
        raise ValueError("spike_times and sample_times must be sorted")
    shape = {"eps": eps, "eta": eta, "psi": psi}
    ca_out = np.empty(len(samples))
    z_out = np.empty(len(samples))
    t_last, ca_last, z_last = 0.0, float(ca0), float(z0)
    k = 0
    for n, t in enumerate(samples):
        while k < len(spikes) and spikes[k] <= t:
            z_last += nu * _segment_integral(curve, ca_last, spikes[k] - t_last, tau_ca, **shape)
            ca_last = ca_last * np.exp(-(spikes[k] - t_last) / tau_ca) + beta_ca
            t_last = spikes[k]
            k += 1
        ca_out[n] = ca_last * np.exp(-(t - t_last) / tau_ca)
        z_out[n] = z_last + nu * _segment_integral(curve, ca_last, t - t_last, tau_ca, **shape)
    return ca_out, z_out


def set_point_rate(eps_ca: float, beta_ca: float, tau_ca: Quantity) -> Quantity:
    """Firing rate at which the mean calcium equals ``eps_ca``: ``eps_ca / (beta_ca * tau_ca)``.

    Examples
    --------
    >>> set_point_rate(0.05, 1e-3, 10 * second)
    5. * hertz
    """
    return eps_ca / (beta_ca * tau_ca)
