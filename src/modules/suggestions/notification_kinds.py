"""Notification kinds of the suggestion loop.

Filing: a deputy is asked to co-sign, and the lead learns that intake review returned the suggestion.
"""

from renda.modules.notifications.service import register_kind

# --- filing and intake -----------------------------------------------------------------------------
register_kind(
    "suggestion_cosign_requested",
    "邀请联名代表建议",
    "{lead}代表邀请您联名{kind}",
    "{name}代表:{lead}代表邀请您联名提出{kind}《{title}》。请打开链接查看内容,确认或拒绝联名。",
    variables={"name": "受邀代表姓名", "lead": "领衔代表姓名", "kind": "建议或议案", "title": "建议标题"},
    default_channels=("email", "sms"),
    description="领衔代表邀请其他代表联名时通知受邀代表,代表在手机上一键确认或拒绝",
)
register_kind(
    "suggestion_returned",
    "代表建议退回修改",
    "您提出的建议《{title}》已退回修改",
    "{name}代表:您提出的建议《{title}》经审查退回修改,原因:{reason}。修改后可重新提交。",
    variables={"name": "领衔代表姓名", "title": "建议标题", "reason": "退回原因"},
    default_channels=("email",),
    description="代表工作人员审查后退回建议时通知领衔代表",
)
