"""Figures of every office per period, rolled up township → county → city (统计汇总)."""
