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
