"""Notification kinds of the suggestion loop.

Each part of the loop registers its own kinds in its own block below.
"""

from renda.modules.notifications.service import register_kind

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
