"""Repeated suggestions (反复提的建议): how alike two suggestions are.

Chinese has no spaces, so a text is represented by its character bigrams: NFKC folds full-width
forms, every run of anything but Chinese characters and Latin letters breaks the text (a bigram
never spans punctuation or a number), and the phrases every suggestion carries (关于……的建议,
尽快, 恳请, 群众反映 …) are cut out first. A bigram weighs by how rare it is among the office's
suggestions (`Weights`: PostgreSQL's own element statistics of the indexed column, see
`similar.py`); bigrams of place names (…镇, …村, 县城) weigh less, so that two different issues of one
village do not look alike while the issue words decide. Two suggestions score the weighted cosine of
their bigram sets in [0, 1]: the title counts twice, so a short note that repeats a title is
still found.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

# Scores at or above this are listed as similar (see tests/modules/suggestions/test_similarity_pairs.py
# for the precision and recall it gives on the labelled pairs).
THRESHOLD = 0.17

# Phrases of the genre, not of the issue: cut before bigrams are taken (longest first).
BOILERPLATE = sorted(
    {
        "关于",
        "的建议",
        "建议",
        "意见",
        "请求",
        "恳请",
        "希望",
        "尽快",
        "抓紧",
        "进一步",
        "切实",
        "相关部门",
        "有关部门",
        "群众反映",
        "反映强烈",
        "强烈",
        "问题",
        "解决",
        "加强",
        "加大",
        "力度",
        "推进",
        "推动",
        "加快",
        "完善",
        "提升",
        "提高",
        "落实",
        "支持",
        "实施",
        "开展",
        "工作",
        "安排",
        "资金",
        "列入",
        "纳入",
        "计划",
        "项目",
        "今年",
        "去年",
        "至今",
        "目前",
        "再次",
        "存在",
        "严重",
        "隐患",
        "困难",
        "不便",
        "方便",
        "群众",
        "老百姓",
        "村民",
        "居民",
        "政府",
        "部门",
        "单位",
        "相关",
        "有关",
        "进行",
        "给予",
        "一个",
        "这个",
        "那个",
        "没有",
        "不能",
        "不够",
        "我们",
        "他们",
        "大家",
        "已经",
        "可以",
        "能够",
        "需要",
        "应当",
        "必须",
    },
    key=len,
    reverse=True,
)
_BOILERPLATE = re.compile("|".join(map(re.escape, BOILERPLATE)))
_RUNS = re.compile(r"[\u3400-\u9fffa-z]+")
# A place name: two or three characters before 镇/乡/村/社区/街道/组 (石泉县城关镇 → 城关镇), and 县城.
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,3}?(?:镇|乡|村|社区|街道)|县城|集镇|镇区|镇上|村组")

# One word for what deputies say in several ways: folded before bigrams are taken.
SYNONYMS = {
    "照明设施": "路灯",
    "照明": "路灯",
    "太阳能灯": "路灯",
    "公共厕所": "公厕",
    "卫生厕所": "户厕",
    "旱厕": "户厕",
    "厕所": "户厕",
    "医疗保险": "医保",
    "城乡居民医保": "医保",
    "公交车": "公交",
    "客运班车": "客车",
    "班车": "客车",
    "客运": "客车",
    "黑车": "客车",
    "敬老院": "养老院",
    "幸福院": "养老院",
    "养老服务站": "养老院",
    "学生公寓": "宿舍",
    "宿舍楼": "宿舍",
    "吃水": "饮水",
    "人饮": "饮水",
    "自来水": "供水",
    "水泥路": "硬化",
    "土石路": "砂石路",
    "村道": "村路",
    "通村公路": "村路",
    "通村路": "村路",
    "水渠": "渠道",
    "灌渠": "渠道",
    "渠系": "渠道",
    "堤坝": "堤防",
    "河堤": "堤防",
    "防洪堤": "堤防",
    "信号": "网络",
    "基站": "网络",
    "托儿所": "托育",
    "野生动物": "野猪",
}
_SYNONYMS = re.compile("|".join(map(re.escape, sorted(SYNONYMS, key=len, reverse=True))))

PLACE_WEIGHT = 0.35
TITLE_BOOST = 2.0


def normalise(text: str) -> str:
    """Full width to half width, lower case, the genre's phrases cut out (a cut breaks the text)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _SYNONYMS.sub(lambda m: SYNONYMS[m.group()], text)
    return _BOILERPLATE.sub(" ", text)


def bigrams(text: str) -> list[str]:
    """The character bigrams of `text` after `normalise`, in order, with repeats; a run of one
    character contributes itself."""
    grams: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        if len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def place_grams(text: str) -> set[str]:
    """The bigrams inside place names of `text` (matched before boilerplate is cut)."""
    out: set[str] = set()
    for name in _PLACE.findall(unicodedata.normalize("NFKC", text or "")):
        out.update(name[i : i + 2] for i in range(len(name) - 1))
    return out


def gram_set(title: str, content: str) -> list[str]:
    """The distinct bigrams of a suggestion, sorted: what the database stores and indexes."""
    return sorted(set(bigrams(title)) | set(bigrams(content)))


@dataclass(frozen=True)
class Weights:
    """How rare a bigram is: its share of the office's suggestions (document frequency). Bigrams
    not listed are rarer than `floor`, the smallest share the statistics track."""

    shares: Mapping[str, float] = field(default_factory=dict)
    floor: float = 0.001

    def idf(self, gram: str) -> float:
        share = self.shares.get(gram, self.floor)
        return math.log(1.0 + 1.0 / max(share, 1e-6))


# Words so common in suggestions of any office that they say little, for an office without
# statistics yet (a new office, a test): taken as present in a tenth of all suggestions.
COMMON = (
    "改造 建设 维修 修建 新建 扩建 设施 管理 服务 保障 安全 标准 提升 发展 增加 设置 配备 整治 "
    "规范 监管 出行 生活 环境 农村 乡村 城乡 全县 我县 县级 镇上 村组 上级 经费 补贴 补助 政策"
)
DEFAULT_WEIGHTS = Weights({g: 0.1 for g in COMMON.split()}, floor=0.005)


@dataclass(frozen=True)
class Parts:
    """What the score needs of a suggestion: its distinct bigrams, those of its title and those inside
    place names (kept for suggestions of other offices instead of their text)."""

    grams: frozenset[str]
    title: frozenset[str]
    places: frozenset[str]

    @classmethod
    def of(cls, title: str, content: str) -> Parts:
        title_grams = frozenset(bigrams(title))
        return cls(
            title_grams | frozenset(bigrams(content)), title_grams, frozenset(place_grams(title + "。" + content))
        )


@dataclass(frozen=True)
class Profile:
    """A suggestion as the score sees it: each bigram with its weight (idf, less for place names,
    more for the title)."""

    vector: dict[str, float]
    norm: float

    @classmethod
    def of(cls, title: str, content: str, weights: Weights = DEFAULT_WEIGHTS) -> Profile:
        return cls.of_parts(Parts.of(title, content), weights)

    @classmethod
    def of_parts(cls, parts: Parts, weights: Weights = DEFAULT_WEIGHTS) -> Profile:
        vector: dict[str, float] = {}
        for gram in parts.grams:
            w = weights.idf(gram)
            if gram in parts.places:
                w *= PLACE_WEIGHT
            if gram in parts.title:
                w *= TITLE_BOOST
            vector[gram] = w
        return cls(vector, math.sqrt(sum(w * w for w in vector.values())))


def score(a: Profile, b: Profile) -> float:
    """Cosine of the two weighted bigram sets, in [0, 1]."""
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.vector, b.vector) if len(a.vector) <= len(b.vector) else (b.vector, a.vector)
    dot = sum(w * large[g] for g, w in small.items() if g in large)
    return min(1.0, dot / (a.norm * b.norm))


def similarity(title_a: str, content_a: str, title_b: str, content_b: str, weights: Weights = DEFAULT_WEIGHTS) -> float:
    return score(Profile.of(title_a, content_a, weights), Profile.of(title_b, content_b, weights))


def selective(parts: Parts, shares: Mapping[str, float], limit: int, max_share: float) -> list[str]:
    """The rarest bigrams of a suggestion (at most `limit`, each in at most `max_share` of the
    suggestions searched; untracked ones are rarer than any tracked one), title bigrams first among
    equals: the keys that find candidates in the index without touching most of the table."""
    rare = [g for g in parts.grams if shares.get(g, 0.0) <= max_share]
    rare.sort(key=lambda g: (shares.get(g, 0.0), g not in parts.title, g))
    return rare[:limit]
