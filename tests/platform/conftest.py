from tests.platform.leftovers import leftovers

__all__ = ["leftovers"]
