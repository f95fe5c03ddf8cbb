"""Pair the grouped suggestions of `issues.py` into the labelled set `similar_pairs.jsonl`.

same_issue: two suggestions of one group (the issue raised again in other words);
same_place: two suggestions of one town (the same village first) on different issues;
unrelated: two suggestions of different towns on different issues.
Deterministic: run `python make_pairs.py` to rebuild the file.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

from issues import GROUPS

SAME_PLACE, UNRELATED = 80, 60
VILLAGE = re.compile(r"[\u4e00-\u9fff]{2,3}(?:村|社区)")


def main() -> None:
    rng = random.Random(13)
    items = [(g, place, title, content) for g, (place, texts) in enumerate(GROUPS) for title, content in texts]
    pairs = []
    for _place, texts in GROUPS:
        for a, b in itertools.combinations(texts, 2):
            pairs.append(("same_issue", a, b))
    cross = [(x, y) for x, y in itertools.combinations(items, 2) if x[0] != y[0]]
    local = [(x, y) for x, y in cross if x[1] == y[1] and x[1] != "县"]

    def village(item: tuple) -> set[str]:
        return set(VILLAGE.findall(item[2] + item[3]))

    same_village = [(x, y) for x, y in local if village(x) & village(y)]
    rng.shuffle(same_village)
    rest = [p for p in local if p not in same_village]
    rng.shuffle(rest)
    chosen = (same_village[: SAME_PLACE // 2] + rest)[:SAME_PLACE]
    pairs += [("same_place", x[2:], y[2:]) for x, y in chosen]
    far = [(x, y) for x, y in cross if x[1] != y[1]]
    pairs += [("unrelated", x[2:], y[2:]) for x, y in rng.sample(far, UNRELATED)]
    out = Path(__file__).with_name("similar_pairs.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for label, a, b in pairs:
            row = {"label": label, "a": {"title": a[0], "content": a[1]}, "b": {"title": b[0], "content": b[1]}}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(out, len(pairs), {k: sum(1 for p in pairs if p[0] == k) for k in ("same_issue", "same_place", "unrelated")})


if __name__ == "__main__":
    main()
