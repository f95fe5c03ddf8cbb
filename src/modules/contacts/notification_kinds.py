"""The notification kinds of the contacts module: reminders to committee members behind schedule,
and invitations of deputies to sit in on standing-committee meetings."""

from renda.modules.notifications.service import register_kind

register_kind(
    "contact_behind_schedule",
    "联系代表进度提醒",
    "{quarter}联系代表提醒",
    "{member}同志:您固定联系的代表中,{quarter}尚有 {count} 名未联系:{names}。"
    "请在本季度内完成联系,并在平台登记联系记录。",
    variables={
        "member": "组成人员姓名",
        "quarter": "季度,如 2026年第4季度",
        "count": "未联系的代表人数",
        "names": "未联系的代表姓名",
    },
    default_channels=("email",),
    description="常委会组成人员在季度内未按要求联系固定联系的代表时提醒本人",
)

register_kind(
    "attendance_invitation",
    "邀请列席常委会会议",
    "邀请您列席{meeting}",
    "{name}代表:{office}邀请您于{date}列席{meeting}({title})。请合理安排时间,如不能出席请向代表工作机构请假。",
    variables={
        "name": "代表姓名",
        "office": "机关名称",
        "meeting": "会议,如 第19届人大常委会第3次会议",
        "title": "会议名称或主要议题",
        "date": "会议日期",
    },
    default_channels=("email", "sms"),
    description="邀请代表列席常委会会议时通知受邀代表",
)
