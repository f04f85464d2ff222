"""Errors qclocal raises on behalf of LEAN."""


class NotInQCLocal(NotImplementedError):
    """A LEAN member that qclocal does not implement. Deliberately not an AttributeError: ``hasattr`` and
    ``getattr(obj, name, default)`` must not pass over a LEAN member silently."""


def missing_member(owner: str, name: str) -> NotInQCLocal:
    return NotInQCLocal(f"{owner}.{name} is not implemented in qclocal (it exists in LEAN); run this algorithm "
                        f"with `lean backtest` or extend qclocal")
