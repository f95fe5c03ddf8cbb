"""A county register like 石泉县's (seed 000), written in bulk straight into the office's schema.

747 mandates: 1 national, 2 provincial, 30 city, 152 county and 562 township, among 647 persons,
because the first 100 county deputies also sit in a township congress (714 county and township
mandates). Every mandate is then handed to the directory through the outbox, as the register does.
Every person's attributes follow from their index, so a test can count what the statistics should say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from renda.core.db import utcnow
from renda.modules.deputies.directory import mandate_changed
from renda.modules.deputies.idcard import with_check_digit
from renda.modules.deputies.models import Congress, Mandate, Person, Term
from renda.modules.deputies.names import full_pinyin, initials
from renda.modules.deputies.schemas import OCCUPATION_CATEGORIES
from renda.modules.deputies.service import id_number_key
from renda.tenants.scoping import load_tenant, tenant_session

ACTOR = "system:test:代表名册场景"
FIGURES = {"national": 1, "provincial": 2, "city": 30, "county": 152, "township": 562}
COUNTY_AND_TOWNSHIP = 100  # county deputies who are also township deputies
TOWNS = 11
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
# Terms running in 2018, the scenario's year.
TERMS = {
    "national": ("全国人民代表大会", 13, date(2018, 3, 5), date(2023, 3, 4)),
    "provincial": ("陕西省人民代表大会", 13, date(2018, 1, 26), date(2023, 1, 25)),
    "city": ("安康市人民代表大会", 4, date(2016, 10, 20), date(2021, 10, 19)),
    "county": ("{county}人民代表大会", 18, date(2016, 11, 1), date(2021, 10, 31)),
    "township": ("{county}第{town}镇人民代表大会", 18, date(2016, 10, 15), date(2021, 10, 14)),
}


@dataclass
class PersonSpec:
    index: int
    name: str
    gender: str
    ethnicity: str
    birth_date: date
    party: str
    occupation: str
    id_number: str

    @classmethod
    def of(cls, index: int, region: str) -> PersonSpec:
        gender = "female" if index % 3 == 0 else "male"
        born = date(1950, 1, 1) + timedelta(days=index * 19)
        sequence = 100 + 2 * (index % 400) + (1 if gender == "male" else 0)  # odd for men (GB 11643)
        ethnicity = "回族" if index % 25 == 0 else "土家族" if index % 40 == 7 else "汉族"
        party = ("中共党员", "中共党员", "中共党员", "民盟盟员" if index % 10 == 3 else "无党派人士", "群众")[index % 5]
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)] + GIVEN[(index // len(GIVEN)) % len(GIVEN)]
        return cls(
            index,
            name,
            gender,
            ethnicity,
            born,
            party,
            OCCUPATION_CATEGORIES[index % len(OCCUPATION_CATEGORIES)],
            with_check_digit(f"{region}{born:%Y%m%d}{sequence:03d}"),
        )


@dataclass
class MandateSpec:
    id: uuid.UUID
    person: PersonSpec
    level: str
    term_key: str  # a TERMS key, or "township:<n>"


@dataclass
class County:
    code: str
    name: str
    persons: list[PersonSpec] = field(default_factory=list)
    mandates: list[MandateSpec] = field(default_factory=list)
    terms: dict[str, uuid.UUID] = field(default_factory=dict)  # term key -> term id
    person_ids: dict[int, uuid.UUID] = field(default_factory=dict)  # person index -> id


def plan(code: str, name: str) -> County:
    """Who holds which mandate: persons 0..646, mandates 747."""
    county = County(code, name)
    persons = [PersonSpec.of(i, code) for i in range(sum(FIGURES.values()) - COUNTY_AND_TOWNSHIP)]
    county.persons = persons
    cursor = 0

    def take(n: int) -> list[PersonSpec]:
        nonlocal cursor
        chosen, cursor = persons[cursor : cursor + n], cursor + n
        return chosen

    for level in ("national", "provincial", "city"):
        county.mandates += [MandateSpec(uuid.uuid4(), p, level, level) for p in take(FIGURES[level])]
    county_deputies = take(FIGURES["county"])
    county.mandates += [MandateSpec(uuid.uuid4(), p, "county", "county") for p in county_deputies]
    township_deputies = county_deputies[:COUNTY_AND_TOWNSHIP] + take(FIGURES["township"] - COUNTY_AND_TOWNSHIP)
    county.mandates += [
        MandateSpec(uuid.uuid4(), p, "township", f"township:{i % TOWNS}") for i, p in enumerate(township_deputies)
    ]
    assert cursor == len(persons)
    return county


def _term_rows(county: County) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    congresses, terms = [], []
    keys = ["national", "provincial", "city", "county", *(f"township:{n}" for n in range(TOWNS))]
    for key in keys:
        level, _, town = key.partition(":")
        name, number, starts, ends = TERMS[level]
        division = {
            "national": "100000",
            "provincial": "610000",
            "city": "610900",
            "county": county.code,
            "township": f"{county.code}{100 + int(town or 0)}",
        }[level]
        congress_id, term_id = uuid.uuid4(), uuid.uuid4()
        county_name = county.name.removesuffix("人大常委会")
        congresses.append(
            {
                "id": congress_id,
                "level": level,
                "name": name.format(county=county_name, town=int(town or 0) + 1),
                "division_code": division,
            }
        )
        terms.append(
            {
                "id": term_id,
                "congress_id": congress_id,
                "number": number,
                "starts_on": starts,
                "ends_on": ends,
                "is_current": True,
            }
        )
        county.terms[key] = term_id
    return congresses, terms


def person_row(spec: PersonSpec) -> dict[str, Any]:
    from renda.core.crypto import encrypt

    return {
        "id": uuid.uuid4(),
        "name": spec.name,
        "name_pinyin": full_pinyin(spec.name),
        "name_initials": initials(spec.name),
        "gender": spec.gender,
        "ethnicity": spec.ethnicity,
        "birth_date": spec.birth_date,
        "party": spec.party,
        "occupation_category": spec.occupation,
        "id_number_encrypted": encrypt(spec.id_number),
        "id_number_hash": id_number_key(spec.id_number),
        "public_fields": ["name", "gender", "levels"],
    }


async def build(county: County) -> None:
    """Write the planned register and queue every mandate for the directory, in one transaction."""
    tenant = await load_tenant(county.code)
    congresses, terms = _term_rows(county)
    persons = []
    for spec in county.persons:
        row = person_row(spec)
        county.person_ids[spec.index] = row["id"]
        persons.append(row)
    now = utcnow()
    mandates = [
        {
            "id": m.id,
            "person_id": county.person_ids[m.person.index],
            "term_id": county.terms[m.term_key],
            "level": m.level,
            "constituency": f"第{i % 40 + 1}选区" if m.level in ("county", "township") else None,
            "starts_on": next(t["starts_on"] for t in terms if t["id"] == county.terms[m.term_key]),
            "status": "active",
            "by_election": False,
            "created_at": now,
            "updated_at": now,
        }
        for i, m in enumerate(county.mandates)
    ]
    async with tenant_session(tenant, actor=ACTOR) as session:
        for model, rows in ((Congress, congresses), (Term, terms), (Person, persons), (Mandate, mandates)):
            await session.execute(insert(model.__table__), rows)
        for mandate in county.mandates:
            await mandate_changed(session, county.code, mandate.id)
        await session.commit()


def active(county: County, levels: Iterable[str] | None = None) -> list[MandateSpec]:
    wanted = set(levels or FIGURES)
    return [m for m in county.mandates if m.level in wanted]
