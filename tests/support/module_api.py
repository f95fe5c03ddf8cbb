"""An import-linter contract type: the modules of a package use each other only through a public API.

`renda.modules.<x>.…` may import `renda.modules.<y>.service` (the module's facade) and the few other
public entry points the contract lists, nothing else of `<y>`: never its repository, its internals, its
pages or routes. Function-level imports count like any other.
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output


class ModuleApiContract(Contract):
    type_name = "module_api"

    container = fields.StringField()  # e.g. renda.modules: each child package is one module
    public = fields.ListField(subfield=fields.StringField())  # submodules every module offers, e.g. service
    also_public = fields.ListField(subfield=fields.StringField(), required=False)  # full names, e.g. x.models

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        container = str(self.container)
        also = {str(m) for m in self.also_public or []}  # type: ignore[union-attr]
        public = {str(p) for p in self.public}  # type: ignore[attr-defined]
        unknown = sorted(m for m in also if m not in graph.modules)
        if unknown:  # a listed exception that no longer exists is a stale contract
            raise ValueError(f"also_public names modules that do not exist: {', '.join(unknown)}")

        def module_of(name: str) -> str | None:
            parts = name.split(".")
            depth = container.count(".") + 1
            if name.startswith(container + ".") and len(parts) > depth:
                return parts[depth]
            return None

        def allowed(imported: str) -> bool:
            rest = imported.split(".")[container.count(".") + 2 :]
            return imported in also or (len(rest) == 1 and rest[0] in public)

        broken = []
        for importer in sorted(graph.find_descendants(container)):
            own = module_of(importer)
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other = module_of(imported)
                if own is None or other is None or other == own or allowed(imported):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                broken.append(
                    {
                        "importer": importer,
                        "imported": imported,
                        "lines": [(d["line_number"], d["line_contents"]) for d in details],
                    }
                )
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(f"{item['importer']} imports {item['imported']}:", bold=True)
            for line_number, contents in item["lines"]:
                output.indent_cursor()
                output.print_error(f"l.{line_number}: {contents}", bold=False)
            output.new_line()
