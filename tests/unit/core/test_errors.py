"""Errors and exit codes: one code per outcome, and every error the package raises for a
user's mistake is an MlopsError (which the CLI turns into one line and exit 2)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import mlops
from mlops.core.errors import EXIT_ERROR, EXIT_FAIL, EXIT_OK, ConfigError, DataError, MlopsError


def test_exit_codes_are_the_documented_three_and_distinct():
    # The workflows and the gate check read these numbers: 0 pass, 1 refused, 2 error.
    assert (EXIT_OK, EXIT_FAIL, EXIT_ERROR) == (0, 1, 2)


def test_config_and_data_errors_are_mlops_errors():
    assert issubclass(ConfigError, MlopsError)
    assert issubclass(DataError, MlopsError)
    assert not issubclass(ConfigError, DataError)
    assert not issubclass(DataError, ConfigError)


def _package_exceptions() -> dict[str, type[BaseException]]:
    found = {}
    for info in pkgutil.walk_packages(mlops.__path__, "mlops."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_error_type_the_package_defines_is_an_mlops_error():
    """A new error type outside the hierarchy would reach the user as a traceback."""
    found = _package_exceptions()
    # One error type per adapter and per workflow concern, found by walking the package.
    assert {
        "mlops.adapters.git.GitError",
        "mlops.adapters.dvc.DvcError",
        "mlops.adapters.gto.RegistryError",
        "mlops.adapters.github.GitHubError",
        "mlops.ci.inputs.WorkflowError",
    } <= set(found)
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, MlopsError))
    assert outside == []
