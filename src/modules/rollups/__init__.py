"""Figures of every office per period, rolled up township → county → city (统计汇总).

The export kind is registered on import of the package, as the register's statistics do.
"""

from renda.modules.rollups.dashboard import register_exports

register_exports()
