"""The notification kinds of the receptions module: the rostered deputy's reminder the day before."""

from renda.modules.notifications.service import register_kind

register_kind(
    "reception_roster",
    "接待选民值班提醒",
    "{date}{station}接待选民值班提醒",
    "{deputy}代表:您是{date}在{station}轮值接待选民的代表,请按时到{address}接待。如不能到岗,请及时告知代表工作人员调整排班。",
    variables={"deputy": "代表姓名", "station": "家站室名称", "date": "接待日期", "address": "家站室地址"},
    default_channels=("email", "sms"),
    description="接待日前一天提醒当天轮值的代表",
)
