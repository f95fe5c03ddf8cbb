from tests.modules.receptions.support import offices

__all__ = ["offices"]
