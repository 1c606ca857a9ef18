"""Runs inside a learner's kernel while it is graded: keep the tests honest about what they compare.

Learner code and the graded tests share one kernel, so learner code can try to make a
failing test pass. The grader's runner (:mod:`scalingml.sandbox.runner`) calls this module,
silently, between cells:

* :func:`install` once, before the first cell a learner wrote: a snapshot of what the
  tests rely on — the attributes of trusted modules and of pandas' classes, the names the
  setup cells bound (``math``, ``np``, ``isclose``, ...), IPython's input and AST
  transformers, its exception handlers and its execution methods;
* :func:`before_test` before each graded test cell: every difference from the snapshot is
  restored and reported, and comparisons in the test cell (``==``, ``<``, ``in``, ...) go
  through :func:`compare`, which refuses operands whose comparison methods the learner
  wrote (an object whose ``__eq__`` always answers True) by raising
  :class:`UntrustedComparison`;
* :func:`after_test` after it: the comparison guard is taken out again, so the learner's
  own cells run untouched.

Each call returns a JSON report with the nonce given to :func:`install`; a missing or
wrong reply tells the runner the kernel could not be checked, and the submission is
flagged. This raises the bar; it is not a proof: code that reads this module's state and
forges its reports, or rewrites code objects' file names, is beyond what it catches (the
instructor guide says so).
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import sys
import sysconfig

#: Modules whose attributes tests compare with (``math.isclose``, ``numpy.allclose``, ``pandas.testing``, ...).
TRUSTED_MODULES = ("builtins", "math", "cmath", "operator", "numpy", "numpy.testing", "pandas", "pandas.testing")
#: Methods a comparison or a truth test may call on an operand.
COMPARISON_METHODS = (
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__contains__", "__bool__", "__len__",
    "__float__", "__index__", "__array__", "__array_ufunc__", "__array_function__", "__iter__",
)  # fmt: skip
#: IPython shell methods that run code or show errors: a learner's replacement would hide failures.
SHELL_METHODS = (
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback", "showsyntaxerror",
    "_showtraceback", "transform_cell", "should_run_async", "set_custom_exc",
)  # fmt: skip
#: Largest number of container elements :func:`compare` inspects; beyond it the rest is trusted.
INSPECT_LIMIT = 100_000
GUARD_NAME = "__scalingml_compare__"


class UntrustedComparison(AssertionError):
    """A graded test compared an object whose comparison methods come from the learner's code."""


_state: dict = {}


def _trusted_roots() -> tuple[str, ...]:
    roots = {
        sys.prefix,
        sys.base_prefix,
        sysconfig.get_paths()["stdlib"],
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    }
    return tuple(os.path.realpath(root) + os.sep for root in roots if root)


def _shell():
    from IPython import get_ipython

    return get_ipython()


def _classes_to_watch() -> list[type]:
    watched = []
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        watched += [pandas.DataFrame, pandas.Series, pandas.Index]
    return watched


def install(nonce: str) -> str:
    """Take the snapshot; call once, before any learner code has run."""
    shell = _shell()
    modules = {name: sys.modules[name] for name in TRUSTED_MODULES if name in sys.modules}
    roots = _trusted_roots()
    _state.clear()
    _state.update(
        nonce=nonce,
        roots=roots,
        modules=modules,
        module_dicts={name: dict(vars(module)) for name, module in modules.items()},
        sys_modules=dict(modules),  # a copy: the entries of sys.modules to put back, if a learner replaces one
        class_dicts={cls: dict(vars(cls)) for cls in _classes_to_watch()},
        user_bindings={
            name: value
            for name, value in shell.user_ns.items()
            if not name.startswith("_") and _is_library_object(value, roots)
        },
        transformers={name: list(getattr(shell, name)) for name in _transformer_lists(shell)},
        manager={name: list(getattr(shell.input_transformer_manager, name)) for name in _manager_lists(shell)},
        custom_exceptions=shell.custom_exceptions,
        custom_tb=shell.__dict__.get("CustomTB"),
        shell_dict={name: shell.__dict__.get(name) for name in SHELL_METHODS},
        shell_class={name: getattr(type(shell), name, None) for name in SHELL_METHODS},
        excepthook=sys.excepthook,
        events={name: list(callbacks) for name, callbacks in shell.events.callbacks.items()},
    )
    return _reply([])


def _transformer_lists(shell) -> list[str]:
    return [name for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
            if isinstance(getattr(shell, name, None), list)]  # fmt: skip


def _manager_lists(shell) -> list[str]:
    manager = shell.input_transformer_manager
    return [name for name in ("cleanup_transforms", "line_transforms", "token_transformers")
            if isinstance(getattr(manager, name, None), list)]  # fmt: skip


def _is_library_object(value, roots) -> bool:
    """A module, or a function or class defined in a file of the Python installation or this package."""
    if type(value).__name__ == "module":
        return True
    code = getattr(value, "__code__", None)
    if code is not None:
        return os.path.realpath(code.co_filename).startswith(roots)
    return isinstance(value, type) and getattr(value, "__module__", "").split(".")[0] in {"numpy", "pandas", "math"}


def _reply(notes: list[str]) -> str:
    return json.dumps({"nonce": _state.get("nonce"), "notes": notes})


def _restore_list(target: list, saved: list, label: str, notes: list[str]) -> None:
    if target != saved:
        notes.append(f"{label} were changed")
        target[:] = saved


def _restore_modules(shell, notes: list[str]) -> None:
    for name, module in _state["sys_modules"].items():
        if sys.modules.get(name) is not module:
            notes.append(f"sys.modules[{name!r}] was replaced")
            sys.modules[name] = module
    for name, saved in _state["module_dicts"].items():
        namespace = vars(_state["modules"][name])
        for attribute, value in saved.items():
            if namespace.get(attribute, _MISSING) is not value:
                notes.append(f"{name}.{attribute} was replaced")
                namespace[attribute] = value


def _restore_classes(shell, notes: list[str]) -> None:
    for cls, saved in _state["class_dicts"].items():
        for attribute, value in saved.items():
            if vars(cls).get(attribute, _MISSING) is not value:
                notes.append(f"{cls.__name__}.{attribute} was replaced")
                setattr(cls, attribute, value)
        for attribute in set(vars(cls)) - set(saved):
            if attribute in COMPARISON_METHODS or attribute == "equals":
                notes.append(f"{cls.__name__}.{attribute} was added")
                delattr(cls, attribute)


def _restore_user_bindings(shell, notes: list[str]) -> None:
    for name, value in _state["user_bindings"].items():
        if shell.user_ns.get(name, _MISSING) is not value:
            notes.append(f"the name {name!r} was rebound")
            shell.user_ns[name] = value


def _restore_transformers(shell, notes: list[str]) -> None:
    for name, saved in _state["transformers"].items():
        _restore_list(getattr(shell, name), saved, f"IPython's {name}", notes)
    for name, saved in _state["manager"].items():
        _restore_list(getattr(shell.input_transformer_manager, name), saved, f"IPython's input {name}", notes)


def _restore_exception_handler(shell, notes: list[str]) -> None:
    if (
        shell.custom_exceptions != _state["custom_exceptions"]
        or shell.__dict__.get("CustomTB") is not _state["custom_tb"]
    ):
        notes.append("a custom exception handler was set (set_custom_exc)")
        shell.custom_exceptions = _state["custom_exceptions"]
        if _state["custom_tb"] is None:
            shell.__dict__.pop("CustomTB", None)
        else:
            shell.CustomTB = _state["custom_tb"]


def _restore_shell(shell, notes: list[str]) -> None:
    for name, value in _state["shell_dict"].items():
        if shell.__dict__.get(name) is not value:
            notes.append(f"IPython's {name} was replaced")
            if value is None:
                shell.__dict__.pop(name, None)
            else:
                shell.__dict__[name] = value
    for name, value in _state["shell_class"].items():
        if getattr(type(shell), name, None) is not value:
            notes.append(f"IPython's {name} was replaced on its class")
            setattr(type(shell), name, value)


def _restore_excepthook(shell, notes: list[str]) -> None:
    if sys.excepthook is not _state["excepthook"]:
        notes.append("sys.excepthook was replaced")
        sys.excepthook = _state["excepthook"]


def _restore_events(shell, notes: list[str]) -> None:
    for name, saved in _state["events"].items():
        _restore_list(shell.events.callbacks[name], saved, f"IPython's {name} event callbacks", notes)


#: What :func:`before_test` puts back, in this order; each step notes every difference it restores.
RESTORE_STEPS = (
    _restore_modules,
    _restore_classes,
    _restore_user_bindings,
    _restore_transformers,
    _restore_exception_handler,
    _restore_shell,
    _restore_excepthook,
    _restore_events,
)


def before_test(cell: str) -> str:
    """Restore the snapshot (reporting each difference), then guard the comparisons of test cell ``cell``."""
    if not _state:
        return json.dumps({"nonce": None, "notes": ["the kernel guard was never installed"]})
    notes: list[str] = []
    shell = _shell()
    for restore in RESTORE_STEPS:
        restore(shell, notes)
    shell.user_ns[GUARD_NAME] = compare
    shell.ast_transformers.append(_CompareGuard())
    return _reply([f"before {cell}: {note} (restored)" for note in dict.fromkeys(notes)])


def after_test(cell: str) -> str:
    """Take the comparison guard out again; report if the test cell's code lost it."""
    shell = _shell()
    guards = [t for t in shell.ast_transformers if isinstance(t, _CompareGuard)]
    notes = (
        [] if guards and shell.user_ns.get(GUARD_NAME) is compare else [f"in {cell}: the comparison guard was removed"]
    )
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, _CompareGuard)]
    shell.user_ns.pop(GUARD_NAME, None)
    return _reply(notes)


_MISSING = object()


class _CompareGuard(ast.NodeTransformer):
    """Rewrites ``a OP b OP c`` into ``__scalingml_compare__(a, ("OP", lambda: b), ("OP", lambda: c))``."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        pairs = [
            ast.Tuple(
                elts=[ast.Constant(type(op).__name__), ast.Lambda(args=_no_arguments(), body=right)], ctx=ast.Load()
            )
            for op, right in zip(node.ops, node.comparators, strict=True)
        ]
        call = ast.Call(func=ast.Name(GUARD_NAME, ast.Load()), args=[node.left, *pairs], keywords=[])
        return ast.copy_location(call, node)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.generic_visit(node)
        node.test = ast.copy_location(
            ast.Call(func=ast.Name(GUARD_NAME, ast.Load()), args=[node.test], keywords=[]), node.test
        )
        return node


def _no_arguments() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


_OPERATORS = {
    "Eq": lambda a, b: a == b, "NotEq": lambda a, b: a != b, "Lt": lambda a, b: a < b, "LtE": lambda a, b: a <= b,
    "Gt": lambda a, b: a > b, "GtE": lambda a, b: a >= b, "In": lambda a, b: a in b, "NotIn": lambda a, b: a not in b,
    "Is": lambda a, b: a is b, "IsNot": lambda a, b: a is not b,
}  # fmt: skip


def compare(left, *pairs):
    """A comparison chain (or, with no pairs, an assert's truth test) on trusted operands only."""
    if not pairs:  # assert EXPRESSION: its truth value must come from a trusted object
        _check(left)
        return builtins.bool(left)
    result = True
    for position, (op, thunk) in enumerate(pairs):
        right = thunk()
        if op not in ("Is", "IsNot"):
            _check(left)
            _check(right)
        result = _OPERATORS[op](left, right)
        if op not in ("Is", "IsNot"):
            _check(result)
        if position < len(pairs) - 1 and not result:  # a chain stops at its first false link, as Python's does
            return result
        left = right
    return result


def _trusted_code(code, kind: type) -> bool:
    """Code from a file of the installation or this package; or generated (``<string>``: a dataclass's
    ``__eq__``) for a class that a module of the installation defines."""
    roots = _state.get("roots") or _trusted_roots()
    if os.path.realpath(code.co_filename).startswith(roots):
        return True
    if not code.co_filename.startswith("<"):
        return False
    module = sys.modules.get(getattr(kind, "__module__", ""), None)
    source = getattr(module, "__file__", None) or ""
    return (
        bool(source)
        and os.path.realpath(source).startswith(roots)
        and getattr(module, kind.__qualname__.split(".")[0], None) is not None
    )


def _check(value, budget: list[int] | None = None) -> None:
    budget = budget if budget is not None else [INSPECT_LIMIT]
    if budget[0] <= 0:
        return
    budget[0] -= 1
    kind = type(value)
    for method in COMPARISON_METHODS:
        function = getattr(kind, method, None)
        code = getattr(function, "__code__", None)
        if code is not None and not _trusted_code(code, kind):
            raise UntrustedComparison(
                f"a graded test compared a {kind.__name__} object whose {method} was written in the notebook; "
                "tests compare plain values (numbers, strings, lists, arrays, data frames)"
            )
    for item in _contained(value):
        _check(item, budget)


def _contained(value):
    """The values inside ``value`` that a comparison with it also compares: items, keys, object cells."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return value
    if isinstance(value, dict):
        return (part for pair in value.items() for part in pair)
    if getattr(value, "dtype", None) is not None and str(getattr(value, "dtype", "")) == "object":
        return getattr(value, "ravel", lambda: value)()
    if hasattr(value, "dtypes") and hasattr(value, "columns"):  # a data frame: its object columns
        return (item for column in value.columns if str(value[column].dtype) == "object" for item in value[column])
    return ()
