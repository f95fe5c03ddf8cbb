"""The demo's register of 石泉县 in the proportions its congress office reported (seeds/000, 2018): 747
mandates over the five levels (national 1, provincial 2, city 30, county 152, township 562), held by
fewer persons, since one person may sit at several levels. Made-up people, generated from a fixed seed,
so every start of the demo (and every test) gets the same register.

Who records what follows docs/register.md: 安康市 (on the platform) records the city, provincial and
national mandates, organised in 石泉县; 石泉县 records the county mandates and those of its townships
that are not offices on the platform; 城关镇 and 饶峰镇 record their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from renda.modules.deputies.idcard import with_check_digit

SEED = 610922
COUNTY_CODE, CITY_CODE = "610922", "610900"
LEVEL_COUNTS = {"national": 1, "provincial": 2, "city": 30, "county": 152, "township": 562}
# The county's 12 hand-written deputies (demo_register.DEPUTIES) count among its 152.
HAND_WRITTEN_COUNTY = 12
# 石泉县's eleven towns (GB/T 2260 codes); 城关镇 and 饶峰镇 are offices on the platform.
TOWNSHIPS = {
    "610922100": "城关镇",
    "610922101": "饶峰镇",
    "610922102": "两河镇",
    "610922103": "迎丰镇",
    "610922104": "池河镇",
    "610922105": "后柳镇",
    "610922106": "喜河镇",
    "610922107": "熨斗镇",
    "610922108": "云雾山镇",
    "610922109": "中池镇",
    "610922110": "曾溪镇",
}
ON_PLATFORM = ("610922100", "610922101")
# Township seats: the town seat is the largest; 70 + 50 + 9 × 49 + 1 = 562.
TOWNSHIP_SEATS = {code: 49 for code in TOWNSHIPS} | {"610922100": 70, "610922101": 50, "610922104": 50}
# Persons who also hold a seat one level down (sitting at several levels, as the article's 747 mandates
# for 714 county and township deputies show): every national and provincial deputy and 18 of the city
# deputies sit in the county congress; 36 county deputies also sit in their town's congress.
CITY_ALSO_COUNTY = 18
COUNTY_ALSO_TOWNSHIP = 36

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴"
    "夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
)
MALE_CHARS = "伟强军平刚勇杰涛明超斌辉鹏华飞波宁俊峰磊浩亮建国志成林海东春永德文新荣福生兴宏伦翔"
FEMALE_CHARS = "芳娟敏静丽艳霞燕红玲萍琴英兰梅莉娜婷雪慧琳洁秀云凤娥琼颖倩蓉佳爱珍晓月春丹"
# Names other demo data and tests look deputies and users up by; no generated name contains one.
RESERVED = (
    "王建国 李秀英 张志强 刘梅 陈德华 杨丽 赵文斌 黄春燕 周海 吴桂兰 徐明 孙晓红 "
    "刘志远 何静 陈明 罗斌 王芳 李强 张敏 赵静 孙丽 周杰 吴刚"
).split()
# 政治面貌 and 职业类别 in roughly the shares county offices report.
PARTIES = (("中共党员", 66), ("群众", 17), ("无党派人士", 5), ("民盟盟员", 3), ("民建会员", 3), ("九三学社社员", 2),
           ("农工党党员", 2), ("民进会员", 2))  # fmt: skip
OCCUPATIONS = (("农民", 26), ("党政领导干部", 22), ("专业技术人员", 20), ("工人", 14), ("企业负责人", 13), ("其他", 5))
EDUCATIONS = (("大学本科", 38), ("大学专科", 25), ("高中", 14), ("研究生", 8), ("中专", 8), ("初中", 7))
# Per occupation: sector, work units ({town} filled in) and positions.
WORK = {
    "农民": ("农业", ("{town}{village}村", "{town}{village}村股份经济合作社", "{town}{village}茶叶专业合作社"),
             ("村民", "种植大户", "合作社理事长", "养殖户")),
    "党政领导干部": ("党政机关", ("石泉县{town}人民政府", "中共石泉县{town}委员会", "石泉县人民政府办公室",
                                  "石泉县农业农村局", "石泉县教育体育局"),
                     ("镇长", "党委书记", "局长", "副局长", "主任")),
    "专业技术人员": ("教育卫生", ("石泉县医院", "石泉县中医医院", "石泉中学", "石泉县{town}中心小学",
                                  "石泉县{town}卫生院", "石泉县农业技术推广中心"),
                     ("医师", "教师", "校长", "院长", "高级农艺师")),
    "工人": ("工业", ("石泉县供电分公司", "陕西石泉蚕桑丝绸有限公司", "石泉县自来水公司", "石泉县{town}建筑队"),
             ("技术员", "班组长", "一线职工", "电工")),
    "企业负责人": ("工商", ("石泉县{town}富硒茶业有限公司", "石泉县鎏金蚕桑专业合作社", "安康秦巴商贸有限公司",
                              "石泉县{town}农产品加工厂"), ("董事长", "总经理", "厂长")),
    "其他": ("社会组织", ("石泉县{town}社区居民委员会", "石泉县个体劳动者协会", "石泉县红十字会"),
             ("社区主任", "个体工商户", "志愿者")),
}  # fmt: skip
VILLAGES = "东坝 江西 新兴 长岭 七里 双喜 金星 太平 明星 五一 红花 梧桐 青龙 丝银坝 杨柳 新华".split()


@dataclass
class Seat:
    level: str
    records: str  # the office that records the mandate
    congress: str  # the congress's name as the office registered it
    term: int
    constituency: str | None = None
    electoral_unit: str | None = None
    organised_in: str | None = None


@dataclass
class DemoPerson:
    name: str
    gender: str
    born: date
    id_number: str
    party: str
    occupation: str
    education: str
    sector: str
    workplace: str
    position: str
    mobile: str
    town: str
    seats: list[Seat] = field(default_factory=list)


TERMS = {"national": 14, "provincial": 14, "city": 6, "county": 19, "township": 19}
CONGRESSES = {
    "national": "全国人民代表大会",
    "provincial": "陕西省人民代表大会",
    "city": "安康市人民代表大会",
    "county": "石泉县人民代表大会",
}


def numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五 (up to 99), as constituencies are numbered."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones or not tens else "")


def township_congress(code: str) -> str:
    return f"石泉县{TOWNSHIPS[code]}人民代表大会"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class _Maker:
    def __init__(self, taken_ids: set[str]) -> None:
        self.rng = random.Random(SEED)
        self.names: set[str] = set(RESERVED)
        self.ids = set(taken_ids)
        self.phones = 0

    def name(self, gender: str) -> str:
        chars = MALE_CHARS if gender == "male" else FEMALE_CHARS
        while True:
            given = "".join(self.rng.sample(chars, self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names and not any(r in name for r in RESERVED):
                self.names.add(name)
                return name

    def person(self, town_code: str) -> DemoPerson:
        rng = self.rng
        gender = "female" if rng.random() < 0.32 else "male"
        born = date(1958, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        while True:
            sequence = rng.randrange(1, 500) * 2 - (1 if gender == "male" else 0)
            number = with_check_digit(f"{COUNTY_CODE}{born:%Y%m%d}{sequence:03d}")
            if number not in self.ids:
                self.ids.add(number)
                break
        occupation = _pick(rng, OCCUPATIONS)
        sector, units, positions = WORK[occupation]
        town = TOWNSHIPS[town_code]
        workplace = rng.choice(units).format(town=town, village=rng.choice(VILLAGES))
        self.phones += 1
        return DemoPerson(
            name=self.name(gender),
            gender=gender,
            born=born,
            id_number=number,
            party=_pick(rng, PARTIES),
            occupation=occupation,
            education=_pick(rng, EDUCATIONS),
            sector=sector,
            workplace=workplace,
            position=rng.choice(positions),
            # 138-0000-xxxx: one made-up block, so no demo number is anyone's phone.
            mobile=f"1380000{self.phones:04d}",
            town=town_code,
        )


def generate(taken_ids: set[str] = frozenset()) -> list[DemoPerson]:  # type: ignore[assignment]
    """The persons with their seats, beside the hand-written county deputies (whose ID numbers are
    `taken_ids`). Deterministic: the same list on every call."""
    maker = _Maker(set(taken_ids))
    towns = list(TOWNSHIPS)
    county: list[DemoPerson] = []
    constituency_count: dict[str, int] = {}

    def county_seat(person: DemoPerson) -> None:
        n = constituency_count[person.town] = constituency_count.get(person.town, 0) + 1
        district = f"{TOWNSHIPS[person.town]}第{numeral((n - 1) // 3 + 4)}选区"  # 一至三: the hand-written's
        person.seats.append(Seat("county", COUNTY_CODE, CONGRESSES["county"], TERMS["county"], constituency=district))
        county.append(person)

    people: list[DemoPerson] = []
    higher = [("national", "陕西省代表团"), ("provincial", "安康市代表团"), ("city", "石泉县代表团")]
    for level, unit in higher:
        for n in range(LEVEL_COUNTS[level]):
            person = maker.person(towns[n % len(towns)])
            seat = Seat(level, CITY_CODE, CONGRESSES[level], TERMS[level], electoral_unit=unit)
            seat.organised_in = COUNTY_CODE
            person.seats.append(seat)
            if level != "city" or n < CITY_ALSO_COUNTY:
                county_seat(person)
            people.append(person)
    while len(county) < LEVEL_COUNTS["county"] - HAND_WRITTEN_COUNTY:
        person = maker.person(towns[len(county) % len(towns)])
        county_seat(person)
        people.append(person)
    # Township seats: first the county deputies who also sit in their town's congress.
    filled = dict.fromkeys(TOWNSHIPS, 0)
    for person in county[-COUNTY_ALSO_TOWNSHIP:]:
        _township_seat(person, filled)
    for code in towns:
        while filled[code] < TOWNSHIP_SEATS[code]:
            person = maker.person(code)
            _township_seat(person, filled)
            people.append(person)
    return people


def _township_seat(person: DemoPerson, filled: dict[str, int]) -> None:
    code = person.town
    filled[code] += 1
    records = code if code in ON_PLATFORM else COUNTY_CODE
    district = f"{TOWNSHIPS[code]}第{numeral((filled[code] - 1) // 2 + 1)}选区"
    person.seats.append(Seat("township", records, township_congress(code), TERMS["township"], constituency=district))
