"""Real protocol peers on loopback for the network tests: a RouterOS API emulator
(``routeros_emulator``) and a FreeRADIUS harness (``radius_harness``).

They import nothing from Odoo: the addon's Odoo tests import them from here, the
adapter suites (``tests/network``, pytest) and the benchmarks (``bench/``) load
them by path. Odoo's test loader only collects ``tests/test_*`` modules, so
nothing here runs as a test of its own.
"""
