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
after, gets the real module; another thread that reads the stand-in meanwhile waits for the
real one. `install()` runs when the engine package is imported and costs nothing until
Whoosh is loaded.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
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
    loaded = sys.modules.get("asyncio")
    real = getattr(loaded, "iscoroutinefunction", None)
    # Not loaded, or the stand-in itself (whose answer is this function): nothing marked.
    return real is not None and real is not _is_coroutine_function and bool(real(func))


# How long another thread waits for a wrapped module's first run (milliseconds, normally).
WAIT_SECONDS = 30.0

# module whose first run is wrapped -> (the module it would load, the names it takes from it
# at import or calls first, each standing for a function that does not load it until needed)
_WRAPPED: dict[str, tuple[str, dict[str, Callable[..., Any]]]] = {
    "whoosh.compat": ("urllib.request",
                      {"urlretrieve": _deferred("urllib.request", "urlretrieve")}),
    "cached_property": ("asyncio", {"iscoroutinefunction": _is_coroutine_function}),
}


def placeholder(name: str, functions: dict[str, Callable[..., Any]],
                done: threading.Event) -> types.ModuleType:
    """A stand-in for module `name`: reading any other attribute of it loads the real
    module. Another thread that reads one while the stand-in stands in waits for `done`
    (the wrapped module's first run is over), then reads the real module's."""
    stand_in = types.ModuleType(name)
    owner = threading.get_ident()

    def __getattr__(attribute: str) -> Any:  # a module's __getattr__ (PEP 562)
        # Still standing in, asked by the wrapped module itself or past a wait that would
        # not end: nothing real yet.
        if sys.modules.get(name) is stand_in and (
                threading.get_ident() == owner or not done.wait(WAIT_SECONDS)):
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
        done = threading.Event()
        stand_in = placeholder(self._loads, self._functions, done)
        sys.modules[self._loads] = stand_in
        try:
            self._loader.exec_module(module)
        finally:
            if sys.modules.get(self._loads) is stand_in:
                del sys.modules[self._loads]
            done.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder:
    """Finds each wrapped module as Python would and wraps its loader, once. It stays in
    `sys.meta_path`, answering nothing after that: removing it while another thread's import
    walks the list could make that import skip the finder after it."""

    def __init__(self) -> None:
        self.pending = dict(_WRAPPED)

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> ModuleSpec | None:
        wrapped = self.pending.pop(name, None)
        if wrapped is None:
            return None
        loads, functions = wrapped
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
