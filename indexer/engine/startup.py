"""Whoosh's first import without the modules it loads and splib never uses.

Two of Whoosh's imports load large parts of the standard library for features splib never
touches: `whoosh.compat` imports `urllib.request` for `urlretrieve` (with it http.client, ssl
and the email parser), and `cached_property`, used by Whoosh's reader, imports `asyncio` for
properties that are coroutines. Together about 80 to 130 ms of every command that opens an
index, a third of `splib search`'s start on a 2-core machine.

While such a module itself runs, and only then, the module it would load stands for a
placeholder: the names it takes from it at import (`from urllib.request import urlretrieve`)
or asks it first are functions that do the same without loading it until needed, and reading
anything else of it loads the real module. Every other import of those modules, before or
after, gets the real module. `install()` runs when the engine package is imported and costs
nothing until Whoosh is loaded.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
import types
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec, PathFinder
from typing import Any


def _real(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def _deferred(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, loading the module when first called."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _is_coroutine_function(func: Any) -> bool:
    """asyncio.iscoroutinefunction without loading asyncio: besides what `inspect` finds, it
    only knows functions marked with an object asyncio creates, which nothing can carry while
    asyncio is not loaded. cached_property asks it the first time each property is read."""
    if inspect.iscoroutinefunction(func):
        return True
    return "asyncio" in sys.modules and bool(_real("asyncio").iscoroutinefunction(func))


# module whose first run is wrapped -> (the module it would load, the names it takes from it
# at import or calls first, each standing for a function that does not load it until needed)
_WRAPPED: dict[str, tuple[str, dict[str, Callable[..., Any]]]] = {
    "whoosh.compat": ("urllib.request",
                      {"urlretrieve": _deferred("urllib.request", "urlretrieve")}),
    "cached_property": ("asyncio", {"iscoroutinefunction": _is_coroutine_function}),
}


def placeholder(name: str, functions: dict[str, Callable[..., Any]]) -> types.ModuleType:
    """A stand-in for module `name`: reading any other attribute of it loads the real
    module."""
    stand_in = types.ModuleType(name)

    def __getattr__(attribute: str) -> Any:  # a module's __getattr__ (PEP 562)
        if sys.modules.get(name) is stand_in:  # still standing in: nothing real to ask
            raise AttributeError(f"module {name!r} has no attribute {attribute!r} yet")
        return getattr(_real(name), attribute)

    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    for function, value in functions.items():
        setattr(stand_in, function, value)
    return stand_in


class _Loader:
    """Runs the real loader with the placeholder in place; anything else it is asked, the real
    loader answers."""

    def __init__(self, loader: Any, loads: str,
                 functions: dict[str, Callable[..., Any]]) -> None:
        self._loader = loader
        self._loads = loads
        self._functions = functions

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        module: types.ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        if self._loads in sys.modules:
            self._loader.exec_module(module)
            return
        stand_in = placeholder(self._loads, self._functions)
        sys.modules[self._loads] = stand_in
        try:
            self._loader.exec_module(module)
        finally:
            if sys.modules.get(self._loads) is stand_in:
                del sys.modules[self._loads]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder:
    """Finds each wrapped module as Python would and wraps its loader, once."""

    def __init__(self) -> None:
        self.pending = dict(_WRAPPED)

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> ModuleSpec | None:
        if name not in self.pending:
            return None
        loads, functions = self.pending.pop(name)
        if not self.pending:
            uninstall()
        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, loads, functions)  # type: ignore[assignment]
        return spec


_FINDER = _Finder()


def install() -> None:
    """Wrap the first import of each module above that has not been imported yet."""
    for name in list(_FINDER.pending):
        if name in sys.modules:
            del _FINDER.pending[name]
    if _FINDER.pending and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(_FINDER)
