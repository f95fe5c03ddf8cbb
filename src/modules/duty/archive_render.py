"""An archive as a printable PDF (A4, Chinese font, the office's name at the top of every page, page
numbers at the bottom, each section a table) and as Excel rows; both from the same `ArchiveView`.

The PDF's template is print-only (rendered on the server, never shown by a browser), so it may carry
its own style; it is rendered here with a Jinja environment of its own, the same in a request and in
the batch job, which has no app.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape

import renda.web
from renda.core.timezone import to_local
from renda.modules.duty.archive_content import SECTIONS
from renda.modules.duty.archives import ArchiveView
from renda.web.pdf import render_pdf

PRINT_TEMPLATE = "duty/archive_print.html"
TEMPLATES = Path(renda.web.__file__).parent / "templates"
EXCEL_LABEL = "代表履职档案"
EXCEL_HEADERS = ["代表", "年度", "档案状态", "档案部分", "日期", "事项", "情况", "学时", "积分"]


@functools.cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))


def print_context(view: ArchiveView) -> dict[str, Any]:
    return {
        "a": view.content,
        "status_label": view.status_label,
        "closed_at": to_local(view.closed_at).strftime("%Y-%m-%d %H:%M") if view.closed_at else "",
        "corrections": [{**vars(c), "date": to_local(c.created_at).date().isoformat()} for c in view.corrections],
        "sections": SECTIONS,
    }


def print_html(view: ArchiveView) -> str:
    return _environment().get_template(PRINT_TEMPLATE).render(**print_context(view))


async def pdf_of(view: ArchiveView) -> bytes:
    """The archive's PDF; rendered in a thread (WeasyPrint blocks)."""
    return await anyio.to_thread.run_sync(render_pdf, print_html(view))


def filename(view: ArchiveView, extension: str) -> str:
    return f"{view.year}年度履职档案_{view.name}.{extension}"


def disposition(name: str, fallback: str) -> str:
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def excel_rows(view: ArchiveView) -> list[list[Any]]:
    """The archive as rows of one sheet: which section, then date, item, detail, hours, points."""
    a = view.content
    head = [a["person"]["name"], view.year, view.status_label]
    rows: list[list[Any]] = []

    def add(section: str, day: str, item: str, detail: str = "", hours: str = "", points: str = "") -> None:
        rows.append([*head, SECTIONS[section], day, item, detail, hours, points])

    person = a["person"]
    for label, value in (
        ("性别", person["gender"]),
        ("民族", person["ethnicity"]),
        ("政治面貌", person["party"]),
        ("工作单位及职务", " ".join(v for v in (person["workplace"], person["position"]) if v)),
        ("所在代表小组", "、".join(person["groups"])),
        ("进驻家站室", "、".join(person["stations"])),
    ):
        add("person", "", label, value)
    for m in a["mandates"]:
        reason = f"({m['end_reason']})" if m["end_reason"] else ""
        ended = f",{m['ended_on']}终止{reason}" if m["ended_on"] else ""
        where = f" {m['constituency']}" if m["constituency"] else ""
        detail = f"{m['level_label']} {m['status_label']}{ended}{where}"
        add("mandates", m["starts_on"], f"{m['congress']}{m['term']}", detail)
    for t in a["trainings"]:
        add("trainings", t["date"], t["title"], f"{t['status_label']}({t['source_label']})", t["hours"])
    for x in a["activities"]:
        add("activities", x["date"], f"{x['kind_label']}:{x['title']}", f"{x['status_label']}({x['source_label']})")
    for e in a["evidence"]:
        detail = "、".join(v for v in (e["award_level_label"], f"{e['verified_on']}核实") if v)
        add("evidence", e["date"], f"{e['kind_label']}:{e['title']}", detail, e["hours"])
    for s in a["suggestions"]:
        add("suggestions", s["date"], s["label"], s["role_label"], points=s["points"])
    for section in ("receptions", "contacts"):
        for r in a[section]:
            add(section, r["date"], r["label"], r["kind_label"], points=r["points"])
    for c in a["points"]["categories"]:
        cap = f",上限{c['cap']}" if c["cap"] else ""
        add("points", "", c["label"], f"记分{c['earned']}{cap}", points=c["counted"])
    total = a["points"]
    add("points", "", "年度积分合计", f"基本分{total['base']},附加分{total['bonus']}", points=total["total"])
    for e in a["points"]["entries"]:
        add("points", e["date"], e["label"], f"{e['kind_label']}({e['reason_label']})", points=e["points"])
    rating = a["rating"]
    if rating:
        grade = rating["grade_label"] or "尚未评定"
        add("rating", "", "评定等次", f"{grade}({rating['step_label']})", points=rating["points"])
        for s in rating["steps"]:
            add("rating", s["at"][:10], s["step_label"], " ".join(v for v in (s["grade_label"], s["note"]) if v))
        for t in rating["talks"]:
            add("rating", t["date"], "提醒约谈", " ".join(v for v in (t["status_label"], t["talker"], t["note"]) if v))
    for c in view.corrections:
        day = to_local(c.created_at).date().isoformat()
        add(c.section, day, "更正", f"{c.content}(原因:{c.reason};{c.created_by})")
    return rows
