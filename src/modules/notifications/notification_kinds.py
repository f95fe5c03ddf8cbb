"""The notification kinds of this module: an office's own notices to its members."""

from renda.modules.notifications.registry import register_kind

register_kind(
    "office_notice",
    "机关通知",
    "{subject}",
    "{office}通知:{content}",
    variables={"office": "机关名称", "subject": "通知标题", "content": "通知内容"},
    default_channels=("email",),
    description="机关向成员发出的一般通知",
)
