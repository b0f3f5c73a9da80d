"""Names of a package imported on first use (PEP 562), so that importing the package is cheap:
the command line starts at once, and it can read a package's tables without its kernels."""

import importlib


def lazy(package, exports):
    """``(__getattr__, __dir__)`` for ``package`` (its ``globals()``), where ``exports`` maps
    each public name to the module that defines it.

    Examples
    --------
    >>> g = {"__name__": "demo"}
    >>> getattr_, _ = lazy(g, {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0), "sqrt" in g
    (3.0, True)
    """
    def __getattr__(name):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        package[name] = value                    # later lookups skip this function
        return value

    def __dir__():
        return sorted({*package, *exports})

    return __getattr__, __dir__
