"""Duty performance (履职): activities with QR sign-in, evidence, the points rules and ledger, the
yearly star rating, the points store and the yearly archives (一人一档、一年一归档).

Export kinds are registered on import of the package, which the web app and the worker both do.
"""

from renda.modules.duty.activity_exports import register_exports as register_activity_exports
from renda.modules.duty.store_exports import register_exports as register_store_exports

register_store_exports()
register_activity_exports()
