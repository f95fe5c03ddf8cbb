"""How the audit log names export jobs."""

from __future__ import annotations

from renda.modules.audit.service import register_entity
from renda.modules.exports.models import STATUS_LABELS
from renda.modules.exports.registry import export_kinds


def _kind(name: str) -> str:
    kind = export_kinds().get(name)
    return kind.label if kind else "其他导出"


register_entity(
    "exports",
    "导出任务",
    fields={
        "kind": "导出内容",
        "requested_by": "申请人",
        "row_count": "行数",
        "content": "文件",
        "error": "错误",
        "finished_at": "完成时间",
        "progress_done": "已完成",
        "progress_total": "总数",
    },
    values={"status": STATUS_LABELS},
    formats={"kind": _kind},
    hidden={"params"},  # the filters of the list exported, as the list's own page reads them
)
