"""Shared pytest set-up for the suites that run outside Odoo.

The network adapters live in ``addons/wisp_network/adapters`` and import nothing
from Odoo, so they are loaded here by path as ``wisp_network_adapters`` and
tested without a database or a running Odoo.
"""

import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADAPTERS = ROOT / "addons" / "wisp_network" / "adapters"


def _load_adapters():
    spec = importlib.util.spec_from_file_location(
        "wisp_network_adapters",
        ADAPTERS / "__init__.py",
        submodule_search_locations=[str(ADAPTERS)],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


_load_adapters()
