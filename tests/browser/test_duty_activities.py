"""Duty activities as people meet them in a browser: a deputy scans the activity's QR code on a
390-pixel-wide phone, signs in to the platform, taps 签到 (a second tap counts once), then submits
evidence of a training with a photo from 我的佐证; the office's staff, at a desk, see the sign-in in the
activity's list and verify the evidence; the deputy's phone shows it verified."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from renda.core.db import utcnow
from renda.core.timezone import local_today
from renda.modules.duty.activities import new_secret
from renda.modules.duty.models import Activity
from renda.modules.duty.signin import sign_in_path
from renda.tenants.scoping import load_tenant, tenant_session
from tests.browser.test_shell import sign_in
from tests.browser.test_suggestions_phone import PHONE_VIEWPORT, PNG, fits_the_screen, tappable

OFFICE = "610922"
DEPUTY = "石泉县 人大代表 王建国(演示)"
STAFF = "石泉县 工作人员 张敏(演示)"


async def activity_under_way(title: str) -> tuple[str, str]:
    """An inspection of 石泉县 that started ten minutes ago, and the path its QR code opens."""
    async with tenant_session(await load_tenant(OFFICE), actor="system:test") as session:
        now = utcnow()
        activity = Activity(
            kind="inspection",
            title=title,
            place="城关镇农贸市场",
            organiser="石泉县人大常委会",
            starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=2),
            year=local_today().year,
            status="planned",
            sign_in_secret=new_secret(),
            created_by="system:test",
        )
        session.add(activity)
        await session.commit()
        return str(activity.id), sign_in_path(OFFICE, activity)


async def test_a_deputy_signs_in_by_qr_code_and_submits_evidence_on_a_phone(
    chromium: Browser, live_server: str, tab: Page
) -> None:
    title = f"视察城关镇农贸市场改造{uuid.uuid4().hex[:4]}"
    activity_id, path = await activity_under_way(title)
    evidence_title = f"参加省人大代表履职培训{uuid.uuid4().hex[:4]}"
    phone = await chromium.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE_VIEWPORT)
    try:
        page = await phone.new_page()
        # The code opens the sign-in page; signed out, the platform asks who it is first.
        await page.goto(path)
        await expect(page).to_have_url(re.compile(r"/login\?next="))
        await page.get_by_role("combobox", name="演示账号").select_option(label=DEPUTY)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.get_by_role("heading", name=title)).to_be_visible()
        await expect(page.locator("main").get_by_role("paragraph").filter(has_text="石泉县人大常委会")).to_be_visible()
        await fits_the_screen(page)
        await tappable(page, "签到")
        await page.get_by_role("button", name="签到", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("签到成功")
        await fits_the_screen(page)

        # Scanning again says so and counts once.
        await page.goto(path)
        await expect(page.get_by_role("button", name="签到", exact=True)).to_have_count(0)
        await expect(page.get_by_role("status")).to_contain_text("您已签到")

        # 我的履职活动 shows it; 我的佐证 → 提交佐证 with a photo.
        await page.get_by_role("link", name="我的履职活动").first.click()
        await expect(page.get_by_role("heading", name="我的履职活动")).to_be_visible()
        await expect(page.get_by_text(title)).to_be_visible()
        await fits_the_screen(page)
        await page.get_by_role("navigation", name="我的履职").get_by_role("link", name="我的佐证").click()
        await expect(page.get_by_role("heading", name="我的佐证")).to_be_visible()
        await fits_the_screen(page)
        await page.get_by_role("link", name="提交佐证").click()
        await expect(page.get_by_role("heading", name="提交履职佐证")).to_be_visible()
        await fits_the_screen(page)
        await page.get_by_label("履职类别").select_option(label="参加培训")
        await page.get_by_label("标题").fill(evidence_title)
        await page.get_by_label("履职日期").fill(f"{local_today():%Y-%m-%d}")
        await page.get_by_label("培训学时(参加培训时填写)").fill("6")
        await page.get_by_label("情况说明").fill("在省人大常委会培训中心参加代表履职能力提升培训。")
        # A file of the wrong type first: refused, the form kept.
        await page.get_by_label(re.compile("照片或文件")).set_input_files(
            {"name": "说明.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}
        )
        await page.get_by_role("button", name="提交", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("不支持该文件类型")
        await expect(page.get_by_label("标题")).to_have_value(evidence_title)
        await fits_the_screen(page)
        await page.get_by_label(re.compile("照片或文件")).set_input_files(
            {"name": "结业证书.png", "mimeType": "image/png", "buffer": PNG}
        )
        await tappable(page, "提交")
        await page.get_by_role("button", name="提交", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("已提交,等待代表工作机构核实")
        await expect(page.get_by_role("link", name="结业证书.png")).to_be_visible()
        await expect(page.get_by_text("待核实", exact=True)).to_be_visible()
        await fits_the_screen(page)
        evidence_url = page.url.split("?")[0]

        # Staff at a desk: the sign-in in the activity's list, the evidence verified.
        await sign_in(tab, STAFF)
        await tab.goto(f"/t/{OFFICE}/duty/activities/{activity_id}")
        await expect(tab.get_by_role("cell", name="王建国", exact=True)).to_be_visible()
        await expect(tab.get_by_role("cell", name="扫码签到", exact=True)).to_be_visible()
        await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="佐证核实").click()
        await tab.get_by_role("link", name=evidence_title).click()
        await tab.get_by_role("button", name="核实通过").click()
        await expect(tab.get_by_role("heading", name="佐证核实")).to_be_visible()

        await page.goto(evidence_url)
        await expect(page.get_by_text("已核实", exact=True)).to_be_visible()
        await fits_the_screen(page)
    finally:
        await phone.close()

    async with tenant_session(await load_tenant(OFFICE), actor="system:test", read_only=True) as session:
        assert await session.scalar(select(Activity.title).where(Activity.id == uuid.UUID(activity_id))) == title


async def test_staff_create_an_activity_and_record_the_sign_in_list_at_a_desk(tab: Page) -> None:
    title = f"县人大常委会组织代表视察{uuid.uuid4().hex[:4]}"
    await sign_in(tab, STAFF)
    await tab.get_by_role("navigation", name="功能导航").get_by_role("link", name="履职活动").click()
    await expect(tab.get_by_role("heading", name=re.compile("^履职活动"))).to_be_visible()
    # The demo's activities: the training to come, the session with everyone's attendance.
    await expect(tab.get_by_role("link", name="县人大代表履职能力提升培训")).to_be_visible()
    await expect(tab.get_by_role("link", name="石泉县第十九届人民代表大会第一次会议")).to_be_visible()
    await tab.get_by_role("link", name="新建活动").click()
    await tab.get_by_label("活动类型").select_option(label="视察")
    await tab.get_by_label("活动名称").fill(title)
    day = local_today() + timedelta(days=3)
    await tab.get_by_label("开始时间").fill(f"{day:%Y-%m-%d}T09:00")
    await tab.get_by_label("结束时间").fill(f"{day:%Y-%m-%d}T11:30")
    await tab.get_by_label("地点").fill("池河镇")
    await tab.get_by_role("button", name="保存").click()
    await expect(tab.get_by_role("heading", name=re.compile(title))).to_be_visible()
    await expect(tab.get_by_text("未开始", exact=True)).to_be_visible()

    # The sign-in list: everyone still 未登记 marked present in one click, one changed to leave.
    await tab.get_by_role("link", name="登记出席情况").click()
    await tab.get_by_role("button", name="出席", exact=True).click()
    rows = tab.locator("#sign-in-sheet tbody tr")
    count = await rows.count()
    assert count >= 2
    await rows.nth(0).get_by_label("请假").check()
    await rows.nth(0).get_by_role("textbox").fill("外出开会")
    await tab.get_by_role("button", name="保存签到表").click()
    await expect(tab.get_by_text(f"出席 {count - 1} 人,请假 1 人,缺席 0 人")).to_be_visible()
    await expect(tab.get_by_role("cell", name="外出开会")).to_be_visible()

    # The QR code, to print.
    await tab.get_by_role("link", name="签到二维码").click()
    image = tab.get_by_role("img", name=f"{title}签到二维码")
    await expect(image).to_be_visible()
    await tab.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await image.element_handle())
    await expect(tab.get_by_role("link", name="打印签到码(PDF)")).to_be_visible()
