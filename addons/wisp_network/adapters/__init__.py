"""Backends that put a service's desired state on a NAS.

Pure Python, no Odoo import: the models call these adapters, and the adapters are
tested on their own (``tests/network``) against real protocol peers on loopback.
"""
