"""Every model parameter carries a unit (or is a plain number on purpose) and a reason."""

import pytest

from depnet.circuits.parameters import DEFAULT_PARAMETERS, resolve


@pytest.mark.parametrize("path", sorted(DEFAULT_PARAMETERS))
def test_parameter_has_a_source_and_passes_its_own_check(path):
    p = DEFAULT_PARAMETERS[path]
    assert len(p.source.strip()) >= 6, f"{path} needs a paper or a 'chosen: why'"
    p.check(p.value)


def test_defaults_resolve_without_overrides():
    assert resolve({}).keys() == DEFAULT_PARAMETERS.keys()
