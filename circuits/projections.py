"""Synaptic projections between populations, with fixed in-degree.

Connectivity is drawn on the host with numpy from the scenario's seed, so that runtime, C++ and
CUDA targets simulate the same graph, and each postsynaptic cell receives a fixed number of inputs
(``in_degree``) at every scale: a scaled-up network keeps its per-neuron input statistics.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import brian2 as b2
import numpy as np
from brian2 import ms, nS, second

from depnet.circuits.neuron import NMDA_RELEASE
from depnet.quantities import Parameter, subtable


@dataclass(frozen=True)
class Projection:
    """A projection's wiring: source and target populations and which receptors it drives."""

    source: str
    target: str
    receptors: tuple[str, ...]  # among "ampa", "nmda", "gaba"


_SYNAPTIC_DELAY = 1 * ms  # chosen: synaptic delay plus local axonal conduction within a region

#: Approximate MNI centres (mm) of the regions, for conduction delays between them (chosen:
#: rounded from common atlas coordinates; straight lines underestimate real fibre paths).
CENTRES_MNI: dict[str, tuple[float, float, float]] = {
    "dlpfc": (-40, 34, 30),
    "sgacc": (-4, 20, -10),
    "mpfc": (-4, 54, 6),
    "pcc": (-4, -52, 28),
    "hippocampus": (-28, -22, -14),
    "drn": (0, -30, -16),
    "ms": (0, 4, -2),
}
_MYELINATED = 5.0  # m/s, chosen: long-range myelinated cortical axons conduct at ~3-10 m/s


def _centre(region: str) -> np.ndarray:
    return np.array(CENTRES_MNI.get(region, CENTRES_MNI["hippocampus"]), dtype=float)


def _delay(source: str, target: str, *, mm: float | None = None, m_per_s: float = _MYELINATED):
    """Synaptic delay plus conduction over the distance between two regions."""
    if source.split("_")[0] == target.split("_")[0]:
        return Parameter(_SYNAPTIC_DELAY, "chosen: local synaptic and conduction delay", low=0 * ms)
    if mm is None:
        mm = float(np.linalg.norm(_centre(source.split("_")[0]) - _centre(target.split("_")[0])))
        where = "straight line between the regions' approximate MNI centres"
    else:
        where = "chosen path length"
    delay = _SYNAPTIC_DELAY + mm * 1e-3 / m_per_s * second
    return Parameter(
        delay, f"chosen: 1 ms synaptic delay + {mm:.0f} mm ({where}) at {m_per_s:g} m/s", low=0 * ms
    )


def _weights(source: str, **nS_per_receptor: float) -> dict[str, Parameter]:
    """Peak conductance per spike for each receptor the projection drives, in nS; the local
    weights tuned for C1's rates are calibrations of C1 (:data:`_CALIBRATED_TO`)."""
    rows = _CALIBRATED_TO.get(source, ())
    return {
        f"w_{r}": Parameter(w * nS, source, low=0 * nS, calibrated_to=rows)
        for r, w in nS_per_receptor.items()
    }


_TUNED = "chosen: tuned for C1 rates with the in-degrees below"
_TUNED_NMDA = (
    "chosen: tuned for C1 rates; NMDA kept weak (charge per spike ~8x AMPA before the Mg2+ "
    "block) so that its 100 ms decay does not pull the network into a high-rate state"
)
_TUNED_EI = (
    "chosen: tuned for C1 rates; strong E->I and I->E coupling, so that inhibition tracks "
    "excitation and holds pyramidal cells in an asynchronous-irregular 1-5 Hz state"
)
#: Weight sources whose values were sized for a VALIDATION row: the rows they calibrate.
_CALIBRATED_TO = {_TUNED: ("C1",), _TUNED_NMDA: ("C1",), _TUNED_EI: ("C1",)}

#: A projection's description: receptors, in-degree (with its reason) and weights (nS, reason).
_Wiring = tuple[tuple[str, ...], float, str, dict[str, float], str]

#: Local wiring of a cortical column (also used for CA3 and CA1): (source kind, target kind).
_COLUMN: dict[tuple[str, str], _Wiring] = {
    ("exc", "exc"): (("ampa", "nmda"), 80, "chosen: 10% of 800 pyramidal cells",
                     {"ampa": 0.3, "nmda": 0.05}, _TUNED_NMDA),
    ("exc", "inh"): (("ampa", "nmda"), 80, "chosen: 10% of 800 pyramidal cells",
                     {"ampa": 1.0, "nmda": 0.05}, _TUNED_EI),
    ("inh", "exc"): (("gaba",), 20, "chosen: 10% of 200 interneurons", {"gaba": 4.0}, _TUNED_EI),
    ("inh", "inh"): (("gaba",), 20, "chosen: 10% of 200 interneurons", {"gaba": 1.0}, _TUNED),
}  # fmt: skip
_COLUMNS = ("dlpfc", "sgacc", "pcc", "mpfc", "ca3", "ca1")

_CELADA = "Celada et al. 2001 J Neurosci 21:9917"
#: Wiring between regions and inside the hippocampal loop: (source, target) -> wiring.
_BETWEEN: dict[tuple[str, str], _Wiring] = {
    # Prefrontal areas inhibit each other through the other area's interneurons
    # (Ramirez-Mahaluf et al. 2017).
    ("dlpfc_exc", "sgacc_inh"): (("ampa", "nmda"), 40, "chosen", {"ampa": 0.5, "nmda": 0.05},
                                 "chosen: inter-areal excitation of interneurons (RM2017)"),
    ("sgacc_exc", "dlpfc_inh"): (("ampa", "nmda"), 40, "chosen", {"ampa": 0.5, "nmda": 0.05},
                                 "chosen: inter-areal excitation of interneurons (RM2017)"),
    # Ventromedial PFC drives raphe 5-HT cells directly and through raphe GABA cells.
    ("sgacc_exc", "drn_5ht"): (("ampa",), 20, f"chosen: sparse mPFC -> DRN input ({_CELADA})",
                               {"ampa": 0.5}, f"chosen: PFC excitation of 5-HT cells ({_CELADA})"),
    ("sgacc_exc", "drn_gaba"): (("ampa",), 40, "chosen: denser mPFC -> DRN GABA input",
                                {"ampa": 0.6},
                                "chosen: feedforward inhibition (Wong-Lin et al. 2012)"),
    ("drn_gaba", "drn_5ht"): (("gaba",), 10, "chosen: local raphe inhibition", {"gaba": 0.5},
                              "chosen: raphe GABA cells inhibit 5-HT cells"),
    # Dentate gyrus: granule cells drive basket cells, which inhibit them.
    ("dg_granule", "dg_inh"): (("ampa",), 80, "chosen", {"ampa": 1.0}, _TUNED_EI),
    ("dg_inh", "dg_granule"): (("gaba",), 20, "chosen", {"gaba": 4.0}, _TUNED_EI),
    ("dg_inh", "dg_inh"): (("gaba",), 10, "chosen", {"gaba": 1.0}, _TUNED),
    # The trisynaptic loop: mossy fibres (few, strong) and Schaffer collaterals.
    ("dg_granule", "ca3_exc"): (("ampa",), 50, "chosen: ~50 mossy-fibre inputs per CA3 pyramid "
                                "(Amaral et al. 1990 Prog Brain Res 83:1 [check])", {"ampa": 1.0},
                                "chosen: strong 'detonator' mossy-fibre synapses"),
    ("dg_granule", "ca3_inh"): (("ampa",), 20, "chosen", {"ampa": 1.0},
                                "chosen: mossy-fibre feedforward inhibition"),
    ("ca3_exc", "ca1_exc"): (("ampa", "nmda"), 80, "chosen", {"ampa": 0.3, "nmda": 0.05},
                             "chosen: Schaffer collaterals, as the column's recurrent weights"),
    ("ca3_exc", "ca1_inh"): (("ampa", "nmda"), 80, "chosen", {"ampa": 1.0, "nmda": 0.05},
                             "chosen: Schaffer feedforward inhibition"),
    # Medial septum paces hippocampal interneurons at theta (Freund & Antal 1988).
    ("ms_theta", "dg_inh"): (("gaba",), 20, "chosen", {"gaba": 2.0}, "chosen: theta pacing"),
    ("ms_theta", "ca3_inh"): (("gaba",), 20, "chosen", {"gaba": 2.0}, "chosen: theta pacing"),
    ("ms_theta", "ca1_inh"): (("gaba",), 20, "chosen", {"gaba": 2.0}, "chosen: theta pacing"),
    # Hippocampus <-> PFC: ventral CA1 -> prelimbic/infralimbic (Jay & Witter 1991 J Comp Neurol
    # 313:574); PFC -> hippocampus through nucleus reuniens (Vertes 2006 Neuroscience 142:1),
    # modelled as a direct, delayed projection.
    ("ca1_exc", "sgacc_exc"): (("ampa", "nmda"), 20, "chosen", {"ampa": 0.3, "nmda": 0.05},
                               "chosen: weak long-range excitation"),
    ("sgacc_exc", "ca1_exc"): (("ampa",), 10, "chosen", {"ampa": 0.3},
                               "chosen: weak, indirect (via nucleus reuniens)"),
    # Default-mode network: PCC <-> mPFC (the cingulum bundle), hippocampus -> both
    # (via subiculum and retrosplenial cortex), PCC -> hippocampus (via entorhinal cortex),
    # and DMN / DLPFC mutual suppression (their anticorrelation, Fox et al. 2005 PNAS 102:9673).
    ("pcc_exc", "mpfc_exc"): (("ampa", "nmda"), 40, "chosen", {"ampa": 0.3, "nmda": 0.05},
                              "chosen: within-DMN coupling"),
    ("mpfc_exc", "pcc_exc"): (("ampa", "nmda"), 40, "chosen", {"ampa": 0.3, "nmda": 0.05},
                              "chosen: within-DMN coupling"),
    ("ca1_exc", "mpfc_exc"): (("ampa", "nmda"), 20, "chosen", {"ampa": 0.3, "nmda": 0.05},
                              "chosen: weak long-range excitation"),
    ("ca1_exc", "pcc_exc"): (("ampa",), 20, "chosen", {"ampa": 0.3},
                             "chosen: weak, indirect (subiculum, retrosplenial cortex)"),
    ("pcc_exc", "dg_granule"): (("ampa",), 20, "chosen", {"ampa": 0.3},
                                "chosen: weak, indirect (entorhinal cortex)"),
    ("mpfc_exc", "dlpfc_inh"): (("ampa",), 20, "chosen", {"ampa": 0.5},
                                "chosen: DMN suppresses the task-positive DLPFC"),
    ("dlpfc_exc", "mpfc_inh"): (("ampa",), 20, "chosen", {"ampa": 0.5},
                                "chosen: DLPFC suppresses the DMN"),
}  # fmt: skip
#: Path lengths and speeds that differ from straight myelinated lines (mm, m/s).
_PATHS = {
    ("dg_granule", "ca3_exc"): (3.0, 0.5),
    ("dg_granule", "ca3_inh"): (3.0, 0.5),
    ("ca3_exc", "ca1_exc"): (5.0, 0.5),
    ("ca3_exc", "ca1_inh"): (5.0, 0.5),
}  # chosen: unmyelinated hippocampal axons, ~0.5 m/s over a few mm


def _wiring() -> tuple[dict[str, Projection], dict[str, dict[str, Parameter]]]:
    table = dict(_BETWEEN)
    for region in _COLUMNS:
        for (a, b), wiring in _COLUMN.items():
            table[(f"{region}_{a}", f"{region}_{b}")] = wiring
    projections, parameters = {}, {}
    for (source, target), (receptors, k, k_source, weights, w_source) in table.items():
        name = f"{source}_to_{target}"
        projections[name] = Projection(source, target, receptors)
        mm, speed = _PATHS.get((source, target), (None, _MYELINATED))
        parameters[name] = {
            "in_degree": Parameter(float(k), k_source, low=0),
            "delay": _delay(source, target, mm=mm, m_per_s=speed),
            "density": Parameter(
                1.0,
                "chosen: every drawn synapse transmits; below 1 that share of them does (the "
                "others are silenced: weight 0, or absent from a pool), a lower synapse "
                "density at the same connectivity (early-life stress, a trait)",
                low=0.0,
                high=1.0,
            ),
            **_weights(w_source, **weights),
        }
    return projections, parameters


def silenced(n: int, density: float, seed: int, projection: str) -> np.ndarray:
    """Which of a projection's ``n`` synapses a ``density`` below 1 silences (a boolean mask).

    Exactly ``round((1 - density) * n)`` of them, drawn from a generator of their own (the seed
    and the projection's name), so that the rest of the circuit is drawn as at density 1.
    """
    mask = np.zeros(n, dtype=bool)
    count = int(round((1.0 - float(density)) * n))
    if count > 0:
        rng = np.random.default_rng([int(seed), zlib.crc32(projection.encode())])
        mask[rng.choice(n, size=count, replace=False)] = True
    return mask


#: Every projection of the circuit (built when both its populations are in a scenario), and
#: its parameters: in-degree at every scale, delay, peak conductance per spike per receptor.
PROJECTIONS, PARAMETERS = _wiring()


def fixed_in_degree(
    n_pre: int, n_post: int, in_degree: int, rng: np.random.Generator, *, no_self: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Presynaptic and postsynaptic indices with ``in_degree`` distinct inputs per target.

    ``no_self`` excludes autapses (for recurrent projections). The in-degree is capped at the
    number of available sources.
    """
    available = n_pre - 1 if no_self else n_pre
    k = min(in_degree, available)
    if k <= 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    sources = np.empty((n_post, k), dtype=np.int64)
    for j in range(n_post):
        chosen = rng.choice(available, size=k, replace=False)
        if no_self:
            chosen[chosen >= j] += 1
        sources[j] = chosen
    targets = np.repeat(np.arange(n_post), k)
    return sources.ravel().astype(np.int32), targets.astype(np.int32)


@dataclass(frozen=True)
class Placement:
    """Where a population's cells sit: a NeuronGroup and the slice of it they occupy."""

    group: b2.NeuronGroup
    start: int
    stop: int

    @property
    def n(self) -> int:
        return self.stop - self.start


#: Synapse models of the merged static projections, by transmitter. NMDA increments are scaled
#: by the presynaptic cell's release (1 unless its NMDA gating saturates: ``neuron.NMDA_RELEASE``).
_MERGED = {
    "glutamate": ("w_ampa : siemens (constant)\nw_nmda : siemens (constant)",
                  f"g_ampa_post += w_ampa; s_nmda_post += w_nmda * {NMDA_RELEASE}",
                  ("ampa", "nmda")),
    "gaba": ("w_gaba : siemens (constant)", "g_gaba_post += w_gaba", ("gaba",)),
}  # fmt: skip


@dataclass
class _Pending:
    i: list = field(default_factory=list)
    j: list = field(default_factory=list)
    delay: list = field(default_factory=list)
    weights: dict = field(default_factory=dict)
    spans: dict = field(default_factory=dict)  # projection -> (first synapse, last + 1)
    count: int = 0


def make_static_projections(
    names: list[str],
    placements: dict[str, Placement],
    values: Mapping[str, b2.Quantity | float],
    rng: np.random.Generator,
    seed: int = 0,
) -> tuple[list[b2.Synapses], dict[str, tuple[str, int, int]]]:
    """Build every fixed (non-plastic) projection, merged into few Synapses objects.

    Projections between the same pair of NeuronGroups that release the same transmitter share
    one Synapses object with per-synapse weights and delays: a handful of code objects instead
    of several per projection, which is what keeps CUDA builds short and kernel launches few.

    ``seed`` draws which synapses a projection's ``density`` below 1 silences
    (:func:`silenced`).

    Returns
    -------
    synapses
        The merged Synapses objects (``glutamate_<source group>_to_<target group>``, ``gaba_...``).
    spans
        Per projection: the name of the Synapses object and its synapses' index range.
    """
    pending: dict[tuple[str, str, str], _Pending] = {}
    groups: dict[str, b2.NeuronGroup] = {}
    for name in names:
        spec = PROJECTIONS[name]
        pre, post = placements[spec.source], placements[spec.target]
        own = subtable(values, f"projections.{name}")
        transmitter = "gaba" if spec.receptors == ("gaba",) else "glutamate"
        key = (pre.group.name, post.group.name, transmitter)
        groups[pre.group.name], groups[post.group.name] = pre.group, post.group
        batch = pending.setdefault(key, _Pending())
        i, j = fixed_in_degree(
            pre.n, post.n, int(round(float(own["in_degree"]))), rng, no_self=pre == post
        )
        # Each presynaptic cell's synapses side by side: a spike's events then read weights and
        # targets from consecutive memory instead of one cache line per synapse (drawn per
        # target, the order would scatter them over the whole projection).
        by_source = np.argsort(i, kind="stable")
        i, j = i[by_source], j[by_source]
        batch.i.append(i + pre.start)
        batch.j.append(j + post.start)
        batch.delay.append(np.full(len(i), float(own["delay"])))
        transmits = ~silenced(len(i), own["density"], seed, name)
        for receptor in _MERGED[transmitter][2]:
            w = float(own.get(f"w_{receptor}", 0.0))
            batch.weights.setdefault(receptor, []).append(np.where(transmits, w, 0.0))
        batch.spans[name] = (batch.count, batch.count + len(i))
        batch.count += len(i)
    synapses, spans = [], {}
    for (source, target, transmitter), batch in pending.items():
        model, on_pre, receptors = _MERGED[transmitter]
        syn = b2.Synapses(
            groups[source], groups[target], model=model, on_pre=on_pre,
            name=f"{transmitter}_{source}_to_{target}",
        )  # fmt: skip
        syn.connect(i=np.concatenate(batch.i), j=np.concatenate(batch.j))
        syn.delay = np.concatenate(batch.delay) * second
        for receptor in receptors:
            setattr(syn, f"w_{receptor}", np.concatenate(batch.weights[receptor]) * b2.siemens)
        synapses.append(syn)
        spans |= {name: (syn.name, a, b) for name, (a, b) in batch.spans.items()}
    return synapses, spans
