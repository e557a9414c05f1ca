"""Points where a module lets others act without knowing them — a commit's end, a meeting published,
a document's visibility — and what runs there, declared in one place: `create_app` (`_declare_hooks`).

They used to be registries that decorators filled as modules were imported, so what ran depended on
what happened to be imported first (ballots' rule for who sees a document applied only once
`ballots.service` was loaded) and no one place said what runs when. Declaring replaces the whole list,
so a second app made in the same process (the tests make one per test) declares the same, not twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """A named point; `declare(f, g)` says what runs there, in that order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: tuple[Callable[P, object], ...] = ()

    def declare(self, *functions: Callable[P, object]) -> None:
        self._functions = functions

    def run(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for function in self._functions:
            function(*args, **kwargs)

    def any(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Whether any of the functions, asked in order, answers yes (for rules)."""
        return any(function(*args, **kwargs) for function in self._functions)

    def merged(self, *args: P.args, **kwargs: P.kwargs) -> dict:
        """The fields each function gives, in order, in one dict (for serializers others add to)."""
        out: dict = {}
        for function in self._functions:
            out.update(function(*args, **kwargs))
        return out

    def __iter__(self) -> Iterator[Callable[P, object]]:
        return iter(self._functions)

    def __len__(self) -> int:
        return len(self._functions)

    def __repr__(self) -> str:
        names = ", ".join(f"{f.__module__}.{f.__qualname__}" for f in self._functions)
        return f"<Hook {self.name}: {names or 'nothing declared'}>"
