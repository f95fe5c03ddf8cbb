"""Deputies' suggestions and motions (代表建议、议案): drafts, and the loop 提、交、办、督、评.

The export kinds (the list, the rates) are registered on import of the package, which both the web app
(routes, pages) and the worker (it imports every module's `tasks`) do.
"""

from renda.modules.suggestions.exports import register_exports

register_exports()
