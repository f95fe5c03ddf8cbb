"""答复函: the reply as a PDF that carries its Chinese text in an embedded CJK font, for whoever may read
the suggestion, and only once the lead unit has replied."""

from __future__ import annotations

from datetime import date

from tests.modules.portal.support import _streams, pdf_text
from tests.modules.suggestions.support import make_suggestion, office
from tests.modules.suggestions.test_assignment import api, at


async def test_the_reply_letter_is_a_pdf_with_the_chinese_text(client, database, offices) -> None:
    place = await office(database, offices["a"], "竹山答复函")
    item = await make_suggestion(place, status="assigned", title="关于硬化宝丰镇至溢水镇公路的建议", year=2027)
    url = api(place.code, item.id)
    early = await client.get(f"{url}/letter.pdf", headers=place.unit_user.headers)
    assert (early.status_code, early.json()["code"]) == (409, "no_reply_yet")
    reply = {
        "reply_class": "B",
        "reply_text": "该路段已列入全县农村公路提档升级计划。",
        "reply_commitments": "二〇二八年六月底前完成路面硬化。",
    }
    with at(date(2027, 5, 20)):
        assert (await client.post(f"{url}/reply", json=reply, headers=place.unit_user.headers)).status_code == 200
    for who in (place.deputy, place.unit_user, place.staff):
        letter = await client.get(f"{url}/letter.pdf", headers=who.headers)
        assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
        assert letter.content.startswith(b"%PDF-")
    # The CJK font is embedded (a subset, named in the PDF's compressed object streams).
    assert any(b"/FontName /" in s and b"WenQuanYi" in s for s in _streams(letter.content))
    text = "".join(pdf_text(letter.content).split())
    for expected in (
        "答复函",
        "关于硬化宝丰镇至溢水镇公路的建议",
        "该路段已列入全县农村公路提档升级计划",
        "二〇二八年六月底前完成路面硬化",
        "B类(正在解决或列入计划)",
        "2027年5月20日",
        "竹山答复函交通运输局",  # the lead unit's name starts with its office's place
        "襄阳市谷城县人大常委会",
    ):
        assert expected in text, expected
    assert "filename*=UTF-8''" in letter.headers["content-disposition"]
    stranger = await client.get(f"{url}/letter.pdf", headers=place.other_unit_user.headers)
    assert stranger.status_code == 404
