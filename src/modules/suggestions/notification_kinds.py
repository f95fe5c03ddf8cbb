"""Notification kinds of the suggestion loop: filing and intake (a deputy asked to co-sign, a suggestion
returned to its lead), assignment and deadlines, and the rest of the loop."""

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


# --- evaluation (评) ---------------------------------------------------------------------------------
register_kind(
    "suggestion_replied",
    "代表建议已答复,请评价",
    "您领衔的建议(编号{number})已答复,请评价",
    "{unit}已答复您领衔提出的《{title}》({class})。请在{due}前对办理结果作出评价:满意、基本满意或不满意。",
    variables={
        "number": "建议编号",
        "title": "建议标题",
        "unit": "承办单位",
        "class": "答复类别",
        "due": "评价截止日期",
    },
    default_channels=("email",),
    description="承办单位答复代表建议后,请领衔代表在评价期限内评价办理结果",
)
register_kind(
    "suggestion_dissatisfied",
    "代表对建议办理不满意",
    "代表对建议(编号{number})的办理不满意",
    "领衔代表对{unit}答复的《{title}》评价为不满意。代表意见:{comment}。请重新研究办理。",
    variables={"number": "建议编号", "title": "建议标题", "unit": "承办单位", "comment": "代表评价意见"},
    default_channels=("email",),
    description="领衔代表评价不满意时,通知代表工作人员和主办单位经办人",
)


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
