"""Package attributes loaded on first use (PEP 562), so that a light command starts fast.

``import analysis`` then loads none of its modules; scipy and the modules that need it load
when one of their names is first used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for names loaded on first use.

    Parameters
    ----------
    package : str
        The package's name.
    exports : mapping of str to str
        Each public name and the module that defines it.

    Returns
    -------
    (callable, callable)
        ``__getattr__``: a name of ``exports`` is taken from its module, and any other name
        is looked for as a sub-module of the package; either is then kept on the package.
        ``__dir__``: the package's names and the exported ones.
    """

    def getattr_(name: str) -> Any:
        module = exports.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        else:
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise  # (a module it needs is missing: say so)
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return getattr_, dir_
