"""Shared pytest set-up for the suites that run outside Odoo.

The network adapters live in ``addons/wisp_network/adapters`` and import nothing
from Odoo, so they are loaded here by path as ``wisp_network_adapters`` and
tested without a database or a running Odoo. Their protocol peers (the RouterOS
API emulator, the FreeRADIUS harness) live with the addon's own tests in
``addons/wisp_network/tests/emulators`` and are loaded by path too, as
``routeros_emulator`` and ``radius_harness``. The ``wisp`` fixture is the
``bin/wisp`` command loaded as a module.
"""

import importlib.machinery
import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "addons" / "wisp_network" / "adapters"
EMULATORS = ROOT / "addons" / "wisp_network" / "tests" / "emulators"


def _load(name, path, package=False):
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


_load("wisp_network_adapters", ADAPTERS / "__init__.py", package=True)
for _name in ("routeros_emulator", "radius_harness"):
    _load(_name, EMULATORS / f"{_name}.py")


@pytest.fixture(scope="session")
def wisp():
    loader = importlib.machinery.SourceFileLoader("wisp_cli", str(ROOT / "bin" / "wisp"))
    spec = importlib.util.spec_from_loader("wisp_cli", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
