"""The repeated-suggestion check against PostgreSQL: earlier suggestions of other years and terms, the
suggestion itself left out, a class A item flagged, and the offices above and below only where both share."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from renda.modules.suggestions import similar
from renda.modules.suggestions.models import SimilarShared, SuggestionSettings
from renda.modules.suggestions.service import similar_suggestions
from renda.tenants.scoping import load_tenant, tenant_session
from tests.conftest import ensure_tenant
from tests.modules.suggestions.support import ACTOR, make_suggestion, office, run_queued

ROAD = ("关于硬化池河镇明星村通村公路的建议", "明星村至镇区的通村公路约4.5公里仍是砂石路面,雨天泥泞,群众出行困难。")
ROAD_AGAIN = (
    "再次建议解决明星村通村路硬化问题",
    "明星村到池河集镇这条路至今还是土石路,一下雨车辆无法通行,请铺成水泥路。",
)
ROAD_NOTE = ("关于明星村道路改造的建议", "池河镇明星村村道路况差,坑洼多,请求对该路段进行硬化改造。")
WATER = ("关于明星村安全饮水工程的建议", "池河镇明星村三组群众饮用山泉水,枯水季节经常断水,建议新建蓄水池。")
ELDERLY = ("关于提高高龄老人补贴标准的建议", "八十岁以上高龄补贴每月只有几十元,建议适当提高。")


def tag(text: tuple[str, str]) -> tuple[str, str]:
    """The same text with a marker of this run, so that suggestions of other tests do not match."""
    mark = uuid.uuid4().hex[:4]
    return text[0], f"{text[1]}(编号{mark})"


async def check(code: str, title: str, content: str, **kwargs):
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        return await similar_suggestions(session, title=title, content=content, **kwargs)


async def set_sharing(code: str, value: bool) -> None:
    async with tenant_session(await load_tenant(code), actor=ACTOR) as session:
        settings = await session.get(SuggestionSettings, 1)
        if settings is None:
            session.add(SuggestionSettings(id=1, share_similar=value))
        else:
            settings.share_similar = value
        await session.commit()


async def copies(code: str, source: str) -> int:
    async with tenant_session(await load_tenant(code), actor=ACTOR, read_only=True) as session:
        query = select(func.count()).select_from(SimilarShared).where(SimilarShared.office_code == source)
        return int(await session.scalar(query) or 0)


async def test_earlier_suggestions_of_other_years_are_found_and_the_suggestion_itself_is_not(database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    earlier = await make_suggestion(place, status="closed", title=ROAD[0], content=ROAD[1], year=2023, reply_class="B")
    other_term = await make_suggestion(place, status="assigned", title=ROAD_NOTE[0], content=ROAD_NOTE[1], year=2025)
    same_village = await make_suggestion(place, status="accepted", title=WATER[0], content=WATER[1], year=2025)
    unrelated = await make_suggestion(place, status="accepted", title=ELDERLY[0], content=ELDERLY[1], year=2024)
    draft = await make_suggestion(place, status="draft", title=ROAD[0], content=ROAD[1])
    itself = await make_suggestion(place, status="submitted", title=ROAD_AGAIN[0], content=ROAD_AGAIN[1])

    found = await check(place.code, *ROAD_AGAIN, exclude_id=itself.id)
    ids = [s.suggestion_id for s in found]
    assert earlier.id in ids and other_term.id in ids
    assert itself.id not in ids and draft.id not in ids  # the suggestion itself, and what was never filed
    assert same_village.id not in ids and unrelated.id not in ids
    first = next(s for s in found if s.suggestion_id == earlier.id)
    assert first.year == 2023 and first.status == "closed" and first.reply_class == "B" and first.own_office
    assert 0 < first.score <= 1 and not first.flag_resolved_a
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    # Without the exclusion the suggestion finds itself, with a perfect score.
    mine = await check(place.code, *ROAD_AGAIN)
    assert mine[0].suggestion_id == itself.id and mine[0].score == 1.0


async def test_a_class_a_suggestion_filed_again_is_flagged(database, offices) -> None:
    place = await office(database, offices["a"], "竹山")
    text = tag(("关于在江南社区滨江路增设路灯的建议", "滨江路江南段晚上没有路灯,居民夜间散步和下班回家很不安全。"))
    resolved = await make_suggestion(place, status="closed", title=text[0], content=text[1], year=2024, reply_class="A")
    again = await check(place.code, "关于解决江南社区滨江路夜间照明的建议", text[1])
    hit = next(s for s in again if s.suggestion_id == resolved.id)
    assert hit.flag_resolved_a and hit.reply_class == "A"
    # A class B item resolved in follow-up (回头看) counts as resolved too.
    async with tenant_session(await load_tenant(place.code), actor=ACTOR) as session:
        from renda.modules.suggestions.models import Suggestion

        await session.execute(
            update(Suggestion).where(Suggestion.id == resolved.id).values(reply_class="B", follow_up="resolved")
        )
        await session.commit()
    again = await check(place.code, "关于解决江南社区滨江路夜间照明的建议", text[1])
    assert next(s for s in again if s.suggestion_id == resolved.id).flag_resolved_a


async def test_the_office_above_is_searched_only_while_both_share_and_a_sibling_never(database, offices) -> None:
    county, city, sibling = offices["a"], offices["city"], offices["b"]
    above = await office(database, city, "十堰")
    beside = await office(database, sibling, "竹溪")
    text = tag(ROAD)
    upstairs = await make_suggestion(above, status="closed", title=text[0], content=text[1], year=2022, reply_class="A")
    next_door = await make_suggestion(beside, status="accepted", title=text[0], content=text[1], year=2024)
    for code in (county, city, sibling):
        await set_sharing(code, True)
    # The worker copies the city's suggestion down to its counties, the sibling's up to the city only.
    await similar.share(await load_tenant(city), [upstairs.id])
    await similar.share(await load_tenant(sibling), [next_door.id])
    assert await copies(county, city) >= 1 and await copies(county, sibling) == 0

    found = await check(county, *text)
    hit = next(s for s in found if s.suggestion_id == upstairs.id)
    assert hit.office_code == city and hit.office_name == "襄阳市人大常委会" and not hit.own_office
    assert hit.flag_resolved_a and hit.year == 2022
    assert next_door.id not in [s.suggestion_id for s in found]  # a sibling is no neighbour
    # Asked for other offices only: none of the city's.
    assert upstairs.id not in [s.suggestion_id for s in await check(county, *text, offices=[])]
    # The city sees the sibling county's (its child) and its own.
    assert {upstairs.id, next_door.id} <= {s.suggestion_id for s in await check(city, *text)}

    # The county stops sharing: at once nothing of the city is listed; the worker then deletes the copies.
    await set_sharing(county, False)
    assert upstairs.id not in [s.suggestion_id for s in await check(county, *text)]
    await similar.resync(await load_tenant(county))
    assert await copies(county, city) == 0
    await similar.share(await load_tenant(city), [upstairs.id])
    assert await copies(county, city) == 0  # nor copied again while it does not share

    # The city stops sharing: its copies leave the offices below, though the county shares again.
    await set_sharing(county, True)
    await set_sharing(city, False)
    await similar.resync(await load_tenant(county))
    assert await copies(county, city) == 0
    assert upstairs.id not in [s.suggestion_id for s in await check(county, *text)]
    await set_sharing(city, True)


async def test_a_written_suggestion_is_queued_for_sharing_and_gets_its_bigrams(database, offices) -> None:
    from renda.workers.outbox import OutboxMessage

    place = await office(database, offices["a"], "竹山")
    made = await make_suggestion(place, status="submitted", title=WATER[0], content=WATER[1])
    async with tenant_session(await load_tenant(place.code), actor=ACTOR, read_only=True) as session:
        from renda.modules.suggestions.models import Suggestion

        grams = await session.scalar(select(Suggestion.similarity_grams).where(Suggestion.id == made.id))
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.actor_name == "share_similar", OutboxMessage.args[1].astext.contains(str(made.id)))
        )
    assert "饮水" in grams and "明星" in grams
    assert queued == 1


# --- when the copies are queued ------------------------------------------------------------------------
async def queued(actor_name: str, code: str) -> int:
    """Messages of `actor_name` for office `code` (the office they copy from) in the outbox."""
    from renda.core.db import get_database
    from renda.workers.outbox import OutboxMessage

    async with get_database().platform_session() as session:
        query = select(func.count()).where(OutboxMessage.actor_name == actor_name, OutboxMessage.args[0].astext == code)
        return int(await session.scalar(query) or 0)


async def test_a_write_is_queued_for_sharing_only_when_there_is_something_to_share(client, database, offices) -> None:
    await ensure_tenant(database, "421300", "随州市人大常委会", "city", None)  # nobody above, nobody below
    alone, county = await office(database, "421300", "随州"), await office(database, offices["a"], "谷城共享")
    body = {"category": "agriculture", "title": WATER[0], "content": WATER[1]}
    for place, jobs in ((alone, 0), (county, 1)):
        api, lead = f"/api/v1/t/{place.code}/suggestions/items", place.deputy.headers
        before = await queued("share_similar", place.code)
        # A draft is the deputy's own work: written, edited and co-signed, it is nobody else's yet.
        made = await client.post(api, json=body, headers=lead)
        sid = made.json()["item"]["id"]
        await client.patch(f"{api}/{sid}", json={"title": tag(WATER)[0] + "(修改)"}, headers=lead)
        await client.post(f"{api}/{sid}/cosigners", json={"person_ids": [str(place.cosigner_persons[0])]}, headers=lead)
        assert await queued("share_similar", place.code) == before
        # Filed, it is copied up and down; withdrawn, its copies go: where there is an office above or below.
        assert (await client.post(f"{api}/{sid}/submit", headers=lead)).status_code == 200
        assert await queued("share_similar", place.code) == before + jobs
        assert (await client.post(f"{api}/{sid}/withdraw", headers=lead)).status_code == 200
        assert await queued("share_similar", place.code) == before + 2 * jobs

    # An office that does not share queues the resync of turning it off, then nothing.
    settings = f"/api/v1/t/{county.code}/suggestions/settings"
    resyncs, before = await queued("resync_similar", county.code), await queued("share_similar", county.code)
    try:
        off = await client.put(settings, json={"share_similar": False}, headers=county.staff.headers)
        assert off.status_code == 200, off.text
        assert await queued("resync_similar", county.code) == resyncs + 1
        await make_suggestion(county, status="submitted", title=WATER[0], content=WATER[1])
        assert await queued("share_similar", county.code) == before
    finally:
        await set_sharing(county.code, True)


async def test_an_office_opened_beneath_another_gets_its_copies(database, offices) -> None:
    from renda.tenants.divisions import Level
    from renda.tenants.schemas import TenantCreate
    from renda.tenants.service import create_tenant

    city = await office(database, offices["city"], "襄阳")
    text = tag(ROAD)
    upstairs = await make_suggestion(city, status="closed", title=text[0], content=text[1], year=2021, reply_class="A")
    await set_sharing(city.code, True)

    new = "420624"  # 南漳县, opened now beneath 襄阳市
    await create_tenant(database, TenantCreate(new, "襄阳市南漳县人大常委会", Level.COUNTY, city.code), actor=ACTOR)
    assert await queued("resync_similar", new) == 1  # sent once the office's registry row is committed
    assert await copies(new, city.code) == 0

    assert await run_queued("resync_similar", new) == 1  # the job, as the worker runs it
    assert await copies(new, city.code) >= 1
    hit = next(s for s in await check(new, *text) if s.suggestion_id == upstairs.id)
    assert hit.office_code == city.code and hit.flag_resolved_a and not hit.own_office
