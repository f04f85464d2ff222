"""Errors qclocal raises on behalf of LEAN."""


class NotInQCLocal(NotImplementedError, AttributeError):
    """A LEAN member that qclocal does not implement. Also an AttributeError, so ``hasattr`` stays safe."""


def missing_member(owner: str, name: str) -> NotInQCLocal:
    return NotInQCLocal(f"{owner}.{name} is not implemented in qclocal (it exists in LEAN); run this algorithm "
                        f"with `lean backtest` or extend qclocal")
