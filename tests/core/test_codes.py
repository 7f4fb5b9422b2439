import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroregen.core import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=4, max_size=10)


def test_new_code_is_valid_and_has_prefix():
    code = codes.new_code("P")
    assert code.startswith("P-")
    assert codes.is_valid(code)


@given(bodies, st.integers(min_value=0), st.sampled_from(codes.ALPHABET))
def test_any_single_character_substitution_is_caught(body, position, replacement):
    position %= len(body)
    if body[position] == replacement:
        return
    check = codes.check_character(body)
    altered = body[:position] + replacement + body[position + 1 :]
    assert codes.is_valid(f"P-{body}-{check}")
    assert not codes.is_valid(f"P-{altered}-{check}")


@given(bodies, st.integers(min_value=0))
def test_adjacent_transposition_is_caught(body, position):
    position %= len(body) - 1
    a, b = body[position], body[position + 1]
    if a == b:
        return
    swapped = body[:position] + b + a + body[position + 2 :]
    assert not codes.is_valid(f"P-{swapped}-{codes.check_character(body)}")


@pytest.mark.parametrize("bad", ["", "P-ABC", "P-ABCI-0", "P-AB-CD-E", "P-abcd-", "P-ABCD-7"])
def test_malformed_codes_are_invalid(bad):
    assert not codes.is_valid(bad)
