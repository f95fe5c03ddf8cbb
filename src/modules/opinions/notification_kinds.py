"""Notification kinds of the people's opinions: assignment, overdue reminders and the answer."""

from renda.modules.notifications.service import register_kind

register_kind(
    "opinion_received",
    "群众向我反映意见",
    "群众通过代表码向您反映了意见(编号{ticket})",
    "群众反映:{summary}。代表工作人员将分析交办,办理情况可在“群众意见”中查看。",
    variables={"ticket": "意见编号", "summary": "意见摘要"},
    default_channels=("email",),
    description="群众在公开页面向代表提交意见时通知该代表",
)
register_kind(
    "opinion_assigned",
    "群众意见交办",
    "{unit}:收到交办的群众意见(编号{ticket})",
    "交办意见:{summary}。请于{deadline}前答复。",
    variables={"unit": "承办单位", "ticket": "意见编号", "summary": "意见摘要", "deadline": "办理期限"},
    default_channels=("email",),
    description="群众意见交办承办单位时通知该单位的经办人",
)
register_kind(
    "opinion_overdue",
    "群众意见逾期督办",
    "督办:群众意见(编号{ticket})已逾期{days}天",
    "{unit}承办的群众意见“{summary}”办理期限为{deadline},已逾期{days}天,请尽快答复。",
    variables={
        "unit": "承办单位",
        "ticket": "意见编号",
        "summary": "意见摘要",
        "deadline": "办理期限",
        "days": "逾期天数",
    },
    default_channels=("email",),
    description="每天提醒承办单位经办人和代表工作人员已逾期的意见",
)
register_kind(
    "opinion_answered",
    "群众意见已答复",
    "您收到的群众意见(编号{ticket})已答复",
    "{unit}已答复群众反映的“{summary}”,答复已反馈给反映人。",
    variables={"ticket": "意见编号", "unit": "承办单位", "summary": "意见摘要"},
    default_channels=("email",),
    description="承办单位答复后通知意见所反映的代表",
)
register_kind(
    "opinion_escalated",
    "群众意见转为建议",
    "群众意见(编号{ticket})已转为代表建议草稿",
    "群众意见已转为建议草稿《{title}》,请完善后提出。",
    variables={"ticket": "意见编号", "title": "建议标题"},
    default_channels=("email",),
    description="群众意见转为代表建议草稿时通知相关代表",
)
