"""Duty performance (履职): activities with QR sign-in, evidence, the points rules and ledger, the
yearly star rating, the points store and the yearly archives (一人一档、一年一归档).

The export kinds are registered on import of the package, which both the web app (routes, pages) and the
worker (looking for every module's `tasks`, it imports the package) do.
"""

from renda.modules.duty.activity_exports import register_exports as register_activity_exports

register_activity_exports()
