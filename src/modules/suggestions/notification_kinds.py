"""Notification kinds of the suggestion loop."""

from renda.modules.notifications.service import register_kind

# --- handling: assignment and deadlines -----------------------------------------------------------
register_kind(
    "suggestion_assigned",
    "代表建议交办",
    "{unit}:收到交办的代表建议(编号{number})",
    "交办建议《{title}》,请于{deadline}前答复领衔代表,并做好办前、办中、办后三次见面沟通。",
    variables={"unit": "承办单位", "number": "建议编号", "title": "建议标题", "deadline": "办理期限"},
    default_channels=("email",),
    description="代表建议交办(或调整)到承办单位时通知该单位的经办人",
)
register_kind(
    "suggestion_due_soon",
    "代表建议即将到期",
    "提醒:代表建议(编号{number}){days}天后到期",
    "{unit}主办的建议《{title}》办理期限为{deadline},请抓紧办理并按时答复。",
    variables={
        "unit": "承办单位",
        "number": "建议编号",
        "title": "建议标题",
        "deadline": "办理期限",
        "days": "剩余天数",
    },
    default_channels=("email",),
    description="办理期限前 7 天提醒主办单位经办人",
)
register_kind(
    "suggestion_overdue",
    "代表建议逾期督办",
    "督办:代表建议(编号{number})已逾期",
    "{unit}主办的建议《{title}》办理期限为{deadline},已逾期{days}天,请尽快答复。",
    variables={
        "unit": "承办单位",
        "number": "建议编号",
        "title": "建议标题",
        "deadline": "办理期限",
        "days": "逾期天数",
    },
    default_channels=("email",),
    description="建议逾期未答复时通知主办单位经办人和代表工作人员(每轮一次)",
)
register_kind(
    "suggestion_opinion_overdue",
    "协办意见逾期提醒",
    "提醒:代表建议(编号{number})的协办意见已逾期",
    "{unit}协办的建议《{title}》,协办意见应于{due}前提交主办单位,请尽快提出。",
    variables={
        "unit": "协办单位",
        "number": "建议编号",
        "title": "建议标题",
        "due": "协办意见期限",
        "deadline": "办理期限",
        "days": "天数",
    },
    default_channels=("email",),
    description="协办单位超过期限未提出协办意见时提醒该单位经办人",
)
register_kind(
    "suggestion_request",
    "承办单位申请待审批",
    "{unit}{request}(建议编号{number})",
    "{unit}就建议{number}提出{request},理由:{reason}。请在“建议办理申请”中审批。",
    variables={"unit": "承办单位", "request": "申请事项", "number": "建议编号", "reason": "申请理由"},
    default_channels=("email",),
    description="承办单位申请延期或调整承办单位时通知代表工作人员审批",
)
