"""Notification kinds of duty performance. Each part of the module appends its own block."""

from renda.modules.notifications.service import register_kind

# --- activities and evidence ------------------------------------------------------------------------
register_kind(
    "duty_evidence_to_verify",
    "履职佐证待核实",
    "{name}代表提交了履职佐证,请核实",
    "{name}代表提交了履职佐证《{title}》({kind},{date}),请核实后确认或退回。",
    variables={"name": "代表姓名", "title": "佐证标题", "kind": "履职类别", "date": "履职日期"},
    default_channels=("email",),
    description="代表提交履职佐证后通知本机关代表工作人员核实",
)
register_kind(
    "duty_evidence_verified",
    "履职佐证已核实",
    "您提交的履职佐证已核实",
    "{name}代表:您提交的履职佐证《{title}》({kind},{date})已核实,将计入履职积分和履职档案。",
    variables={"name": "代表姓名", "title": "佐证标题", "kind": "履职类别", "date": "履职日期"},
    default_channels=("email",),
    description="工作人员核实代表提交的履职佐证后通知代表本人",
)
register_kind(
    "duty_evidence_rejected",
    "履职佐证被退回",
    "您提交的履职佐证被退回",
    "{name}代表:您提交的履职佐证《{title}》({kind},{date})未通过核实,退回理由:{reason}。如有补充材料,请重新提交。",
    variables={
        "name": "代表姓名",
        "title": "佐证标题",
        "kind": "履职类别",
        "date": "履职日期",
        "reason": "退回理由",
    },
    default_channels=("email",),
    description="工作人员退回代表提交的履职佐证时通知代表本人",
)
