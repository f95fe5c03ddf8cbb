"""Reading the charts a page asks static/charts.js to draw: id → the figures in its data-chart."""

from __future__ import annotations

import json
import re
from typing import Any

CHART = re.compile(r"<div class=\"echart\" id=\"([^\"]+)\"[^>]*\sdata-chart='([^']*)'")


def chart_specs(html: str) -> dict[str, Any]:
    return {found.group(1): json.loads(found.group(2)) for found in CHART.finditer(html)}
