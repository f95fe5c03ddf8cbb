import pytest

from renda.core.errors import InvalidInput
from renda.tenants.divisions import Level, validate_code, validate_parent


@pytest.mark.parametrize(
    ("code", "level"),
    [("610900", Level.CITY), ("610922", Level.COUNTY), ("610922100", Level.TOWNSHIP), ("429021", Level.COUNTY)],
)
def test_valid_codes(code: str, level: Level) -> None:
    assert validate_code(code, level) == code


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("61092", Level.COUNTY),  # too short
        ("6109220", Level.COUNTY),  # too long
        ("61092a", Level.COUNTY),  # not digits
        ("990922", Level.COUNTY),  # no such province
        ("610000", Level.CITY),  # a province, not a city
        ("610922", Level.CITY),  # a county code given as a city
        ("610900", Level.COUNTY),  # a city code given as a county
        ("610922", Level.TOWNSHIP),  # township codes have 9 digits
        ("610922000", Level.TOWNSHIP),
    ],
)
def test_invalid_codes(code: str, level: Level) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_code(code, level)
    assert exc.value.code == "invalid_division_code"
    assert "行政区划代码" in exc.value.message


def test_parents() -> None:
    validate_parent("610900", Level.CITY, None, None)
    validate_parent("610922", Level.COUNTY, "610900", Level.CITY)
    validate_parent("610922100", Level.TOWNSHIP, "610922", Level.COUNTY)
    for args in [
        ("610900", Level.CITY, "610900", Level.CITY),  # a city has no parent
        ("610922", Level.COUNTY, None, None),  # a county needs one
        ("610922", Level.COUNTY, "610921", Level.COUNTY),  # wrong level
        ("610922", Level.COUNTY, "610800", Level.CITY),  # another city's county
        ("610922100", Level.TOWNSHIP, "610921", Level.COUNTY),  # another county's township
    ]:
        with pytest.raises(InvalidInput) as exc:
            validate_parent(*args)
        assert exc.value.code == "invalid_parent"
