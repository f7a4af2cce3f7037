"""``depnet sensitivity`` on real runs: a changed parameter reaches the runs it should."""

from __future__ import annotations

import pytest

from depnet.sensitivity import changes, run_sensitivity


@pytest.mark.slow
def test_faster_serotonin_uptake_lowers_hippocampal_serotonin(tmp_path):
    """SERT's Vmax sets how fast 5-HT is cleared (Michaelis-Menten uptake; Bunin & Wightman
    1998): 20% more uptake lowers CA1's [5-HT] and 20% less raises it, while the frame row's
    ordering (raphe > CA1 > DLPFC) holds either way."""
    points = changes(0.2, ["serotonin.vmax_sert"])
    data = run_sensitivity(tmp_path, points, seed=1, rows=["frame"], log=None)
    ca1 = {key: point["measures"]["frame"]["CA1 [5-HT]"] for key, point in data["points"].items()}
    default = data["default"]["frame"]["CA1 [5-HT]"]
    assert ca1["serotonin.vmax_sert x1.2"] < 0.95 * default < default
    assert ca1["serotonin.vmax_sert x0.8"] > 1.05 * default
    assert all(p["measures"]["frame"]["raphe > CA1 > DLPFC"] == 1 for p in data["points"].values())
