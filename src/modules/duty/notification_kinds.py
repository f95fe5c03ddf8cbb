"""Notification kinds of duty performance. Each part of the module appends its own block."""

from renda.modules.notifications.service import register_kind

# --- the points store (积分超市) ---------------------------------------------------------------------------
STORE_VARIABLES = {
    "item": "兑换物品",
    "quantity": "数量",
    "points": "所用积分",
    "year": "积分年度",
    "reason": "取消原因",
}
register_kind(
    "duty_redemption_ready",
    "积分兑换成功,待领取",
    "积分兑换成功:{item}×{quantity}",
    "您已用{year}年度履职积分{points}分兑换{item}×{quantity},请到代表工作机构或联络站领取。",
    variables=STORE_VARIABLES,
    default_channels=("email",),
    description="代表在积分超市兑换物品后,提醒代表前往领取",
)
register_kind(
    "duty_redemption_handed_over",
    "积分兑换物品已领取",
    "已领取:{item}×{quantity}",
    "您用{year}年度履职积分{points}分兑换的{item}×{quantity}已领取。",
    variables=STORE_VARIABLES,
    default_channels=("email",),
    description="工作人员确认代表已领取兑换物品时通知代表",
)
register_kind(
    "duty_redemption_cancelled",
    "积分兑换已取消",
    "积分兑换已取消:{item}×{quantity}",
    "您兑换的{item}×{quantity}已由工作人员取消,原因:{reason}。所用{year}年度积分{points}分已退回。",
    variables=STORE_VARIABLES,
    default_channels=("email",),
    description="工作人员取消代表的积分兑换时通知代表,积分退回",
)

# --- the yearly star rating (亮星 / 星级评价) --------------------------------------------------------
register_kind(
    "duty_rating_step_due",
    "履职星级评价待办",
    "{year}年度代表履职星级评价:{step}",
    "{task}(代表自评截止日期:{closes_on})",
    variables={"year": "评价年度", "step": "待办环节", "task": "待办事项说明", "closes_on": "代表自评截止日期"},
    default_channels=("email",),
    description=(
        "评价开始时和自评截止前 3 天提醒尚未自评的代表;"
        "有评价待小组评议、乡镇审核、常委会审定或公示时,每天提醒代表小组组长和工作人员"
    ),
)
register_kind(
    "duty_talk_scheduled",
    "提醒约谈安排",
    "{year}年度履职评价提醒约谈安排",
    "{name}代表:您{year}年度的履职评价等次为{grade}。根据代表履职评价办法,定于{date}在{place}由{talker}与您进行提醒约谈,请准时参加。",
    variables={
        "name": "代表姓名",
        "year": "评价年度",
        "grade": "评价等次",
        "date": "约谈日期",
        "place": "约谈地点",
        "talker": "约谈人",
    },
    default_channels=("email", "sms"),
    description="评价等次为基本称职或不称职的代表,工作人员安排(或调整)提醒约谈时通知代表本人",
)
register_kind(
    "duty_rating_published",
    "履职星级评价结果公示",
    "您的{year}年度履职星级评价结果:{grade}",
    "{name}代表:您{year}年度的履职评价经常委会审定为“{grade}”({stars}),年度履职积分 {points} 分。",
    variables={"name": "代表姓名", "year": "评价年度", "grade": "评价等次", "stars": "星级", "points": "年度积分"},
    default_channels=("email",),
    description="工作人员公示年度评价结果时通知每位代表本人",
)

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
