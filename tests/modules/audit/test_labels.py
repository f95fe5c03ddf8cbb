"""Every table the audit log records is declared in Chinese: its name, each field it shows, and a
name for every object its fields point to, so no entry shows an English field name or a raw id."""

from __future__ import annotations

import re

from sqlalchemy import Table, Uuid

from renda.core.db import TenantBase
from renda.modules import import_module_parts
from renda.modules.audit import labels as registry
from renda.modules.audit.readable import reference_kind, table_of

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def audited_tables() -> dict[str, Table]:
    import_module_parts("models")
    return {
        mapper.local_table.name: mapper.local_table
        for mapper in TenantBase.registry.mappers
        if getattr(mapper.class_, "__audit__", True) is not False and mapper.local_table.name != "audit_log"
    }


def test_every_audited_table_is_declared_in_chinese() -> None:
    problems: list[str] = []
    entities, resolvers = registry.entities(), registry.resolvers()
    for name, table in sorted(audited_tables().items()):
        labels = entities.get(name)
        if labels is None:
            problems.append(f"{name}: not declared (register_entity in its module's audit_labels.py)")
            continue
        if not CHINESE.search(labels.name):
            problems.append(f"{name}: entity name {labels.name!r} is not Chinese")
        for column in table.columns:
            if not labels.shows(column.name):
                continue
            label = labels.label(column.name)
            if not label or not CHINESE.search(label):
                problems.append(f"{name}.{column.name}: no Chinese label")
            kind = reference_kind(labels, table, column.name)
            if kind is None and isinstance(column.type, Uuid):
                problems.append(f"{name}.{column.name}: an id that names nothing (declare a ref or hide it)")
            if kind is not None and kind not in resolvers:
                target = entities.get(kind)
                if target is None or target.title is None:
                    problems.append(f"{name}.{column.name}: points to {kind}, which has no name to show")
        for field, mapping in labels.values.items():
            untranslated = [value for value, label in mapping.items() if not CHINESE.search(label)]
            if untranslated:
                problems.append(f"{name}.{field}: values without a Chinese name {untranslated}")
        if labels.title is not None and table_of(labels) is None:
            problems.append(f"{name}: titled but its table is unknown")
    assert not problems, "\n".join(problems)
