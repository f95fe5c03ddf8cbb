"""Persons: validation, personal data encrypted and masked, photos, deletion only without history."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date

from renda.modules.deputies.idcard import with_check_digit
from tests.conftest import make_caller, raw_fetchval
from tests.modules.deputies.helpers import add_mandate, add_person, api, count, id_number, mobile, township_term


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


async def test_person_with_id_number_is_stored_encrypted_and_shown_masked(
    client, database, database_url, hierarchy
) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "登记员", {code: ["staff"]})
    number, phone = id_number(male=False, born=date(1975, 3, 8)), mobile()
    body = {
        "name": "王芳",
        "id_number": number.lower(),  # a lower-case x is normalized
        "ethnicity": "土家族",
        "party": "中共党员",
        "occupation_category": "农民",
        "education": "大学本科",
        "sector": "农业",
        "workplace": "石泉县城关镇明星村",
        "position": "党支部书记",
        "mobile": phone,
        "public_fields": ["gender", "workplace"],
    }
    created = await client.post(f"{api(code)}/persons", json=body, headers=clerk.headers)
    assert created.status_code == 201, created.text
    person = created.json()
    # Gender and birth date come from the ID number; the name's pinyin is kept for search.
    assert (person["gender"], person["gender_label"], person["birth_date"]) == ("female", "女", "1975-03-08")
    assert person["name_pinyin"] == "wangfang"
    assert person["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert person["mobile_masked"] == phone[:3] + "****" + phone[-4:]
    assert person["public_fields"] == ["name", "gender", "workplace"]
    shown = await client.get(f"{api(code)}/persons/{person['id']}", headers=clerk.headers)
    for text in (created.text, shown.text):
        assert number not in text and phone not in text

    # At rest: ciphertext and a keyed hash, never the number; the audit log redacts them.
    row = await raw_fetchval(
        database_url, f'select row_to_json(p)::text from "t_{code}".persons p where id=$1', person["id"]
    )
    assert number not in row and phone not in row and number[6:14] not in json.loads(row)["id_number_encrypted"]
    audit = await raw_fetchval(
        database_url,
        f"select string_agg(changes::text, '') from \"t_{code}\".audit_log where entity='persons'"
        " and coalesce(entity_id, changes->>'id') = $1",
        person["id"],
    )
    assert audit and number not in audit and phone not in audit and "***" in audit


async def test_bad_person_input_is_refused_and_changes_nothing(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "核对员", {code: ["staff"]})
    taken = id_number()
    await add_person(client, clerk, code, "已登记", id_number=taken)
    valid = id_number(male=True, born=date(1980, 1, 2))
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    cases = [
        ({"name": "张三", "id_number": wrong_check}, 400, "invalid_id_number"),
        ({"name": "张三", "id_number": "61092219800230001X"}, 400, "invalid_id_number"),  # 30 February
        ({"name": "张三", "id_number": "12345"}, 400, "invalid_id_number"),
        ({"name": "张三", "id_number": valid, "gender": "female"}, 400, "id_number_mismatch"),
        ({"name": "张三", "id_number": valid, "birth_date": "1980-01-03"}, 400, "id_number_mismatch"),
        ({"name": "张三", "id_number": taken}, 409, "person_exists"),
        ({"name": "张三"}, 400, "gender_required"),
        ({"name": "张三", "gender": "男"}, 400, "invalid_gender"),
        ({"name": "张三", "gender": "male", "birth_date": str(date.today())}, 400, "invalid_birth_date"),
        ({"name": "张三", "gender": "male", "mobile": "12345678901"}, 400, "invalid_mobile"),
        ({"name": "张三", "gender": "male", "ethnicity": "火星族"}, 400, "invalid_ethnicity"),
        ({"name": "张三", "gender": "male", "party": "共产党"}, 400, "invalid_party"),
        ({"name": "张三", "gender": "male", "education": "博士后"}, 400, "invalid_education"),
        ({"name": "张三", "gender": "male", "public_fields": ["id_number"]}, 400, "invalid_public_fields"),
        ({"name": "  ", "gender": "male"}, 400, "name_required"),
        ({"name": "张三", "gender": "male", "salary": 1}, 400, "validation_error"),  # unknown field
        ({"name": 123, "gender": "male"}, 400, "validation_error"),  # wrong type
        ({"gender": "male"}, 400, "validation_error"),  # missing name
        ([{"name": "张三"}], 400, "validation_error"),
    ]
    before = await count(database_url, code, "persons")
    for body, status, error in cases:
        response = await client.post(f"{api(code)}/persons", json=body, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error), (body, response.text)
        assert response.json()["message"]
    malformed = await client.post(
        f"{api(code)}/persons",
        content=b'{"name": "\xe5\xbc\xa0',
        headers={**clerk.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    assert await count(database_url, code, "persons") == before
    # The same number in the other office is that office's business.
    other = await make_caller(database, "汉阴县登记员", {hierarchy["b"]: ["staff"]})
    await add_person(client, other, hierarchy["b"], "已登记", id_number=taken)


async def test_update_keeps_id_number_and_gender_consistent(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "修改员", {code: ["staff"]})
    number = id_number(male=True)
    person = await add_person(client, clerk, code, "李强", id_number=number)
    url = f"{api(code)}/persons/{person['id']}"
    refused = await client.patch(url, json={"gender": "female"}, headers=clerk.headers)
    assert refused.status_code == 400 and refused.json()["code"] == "id_number_mismatch"
    duplicate = await add_person(client, clerk, code, "李强二", id_number=id_number())
    clash = await client.patch(
        f"{api(code)}/persons/{duplicate['id']}", json={"id_number": number}, headers=clerk.headers
    )
    assert clash.status_code == 409 and clash.json()["code"] == "person_exists"
    assert (await client.patch(url, json={"nickname": "强子"}, headers=clerk.headers)).json()["code"] == (
        "validation_error"
    )
    hash_before = await raw_fetchval(
        database_url, f'select id_number_hash from "t_{code}".persons where id=$1', person["id"]
    )

    phone = mobile()
    updated = await client.patch(
        url, json={"name": "李强国", "mobile": phone, "workplace": "县医院", "party": None}, headers=clerk.headers
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["name_pinyin"], body["workplace"], body["party"]) == (
        "李强国",
        "liqiangguo",
        "县医院",
        None,
    )
    assert body["mobile_masked"] == phone[:3] + "****" + phone[-4:] and body["id_number_masked"].startswith("6109")
    # An unchanged ID number is not re-encrypted (nor logged as changed).
    assert await raw_fetchval(
        database_url, f'select id_number_hash from "t_{code}".persons where id=$1', person["id"]
    ) == (hash_before)
    cleared = await client.patch(url, json={"id_number": None, "gender": "female"}, headers=clerk.headers)
    assert cleared.status_code == 200 and cleared.json()["id_number_masked"] is None
    assert cleared.json()["gender"] == "female"


async def test_person_with_history_cannot_be_deleted(client, database, database_url, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "删除员", {code: ["staff"]})
    _, term_id = await township_term(client, clerk, code)
    mistaken = await add_person(client, clerk, code, "误录入")
    deputy = await add_person(client, clerk, code, "有资格")
    mandate = await add_mandate(client, clerk, code, deputy["id"], term_id)
    await client.post(
        f"{api(code)}/mandates/{mandate['id']}/end",
        json={"ended_on": "2022-01-01", "reason": "deceased"},
        headers=clerk.headers,
    )
    before = (await count(database_url, code, "persons"), await count(database_url, code, "mandate_events"))
    refused = await client.delete(f"{api(code)}/persons/{deputy['id']}", headers=clerk.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "person_has_history"
    assert "终止其代表资格" in refused.json()["message"]
    assert (await count(database_url, code, "persons"), await count(database_url, code, "mandate_events")) == before

    deleted = await client.delete(f"{api(code)}/persons/{mistaken['id']}", headers=clerk.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{api(code)}/persons/{mistaken['id']}", headers=clerk.headers)
    assert gone.status_code == 404 and gone.json()["code"] == "person_not_found"


async def test_photo_upload_checks_the_bytes_and_the_size(client, database, hierarchy) -> None:
    code = hierarchy["a"]
    clerk = await make_caller(database, "照片员", {code: ["staff"]})
    person = await add_person(client, clerk, code, "有照片")
    url = f"{api(code)}/persons/{person['id']}/photo"
    assert (await client.get(url, headers=clerk.headers)).json()["code"] == "photo_not_found"
    for name, content, status, error in (
        ("fake.jpg", b"GIF89a not a jpeg at all", 400, "invalid_photo"),
        ("big.jpg", b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), 413, "photo_too_large"),
    ):
        response = await client.put(url, files={"data": (name, content, "image/jpeg")}, headers=clerk.headers)
        assert (response.status_code, response.json()["code"]) == (status, error)
    assert (await client.get(url, headers=clerk.headers)).status_code == 404

    image = png()
    uploaded = await client.put(url, files={"data": ("photo.png", image, "image/png")}, headers=clerk.headers)
    assert uploaded.status_code == 200 and uploaded.json()["has_photo"]
    fetched = await client.get(url, headers=clerk.headers)
    assert fetched.content == image and fetched.headers["content-type"] == "image/png"
    assert (await client.delete(url, headers=clerk.headers)).status_code == 204
    assert (await client.get(url, headers=clerk.headers)).status_code == 404


def test_test_id_numbers_are_valid() -> None:
    from renda.modules.deputies.idcard import validate

    assert validate(with_check_digit("61092219800102001")) and validate(id_number(male=False))
