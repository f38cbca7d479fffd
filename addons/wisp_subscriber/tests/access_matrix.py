"""The access matrix: every public method and every field of a module, as every role.

Every public method (no leading underscore, not ``@api.private``) of every model is an
RPC entry point for every logged-in user, and every field can be written over RPC. The
matrix is generated from the registry, so a new model, method or field is covered the
day it is written, without editing a test:

* **methods**: each public method a module defines (on its own models and on the models
  it extends) is called, the way ``/json/2`` and ``call_kw`` call it, as each role on a
  record outside that role's scope, and must raise ``AccessError``. Outside the scope
  means a record the role cannot read; for a method the policy does not grant to the
  role, any record (the role has no business calling it at all); a model method
  (``@api.model``) has no record scope, so only the roles it is not granted to call it,
  and must be refused. The policy
  (``METHOD_POLICY`` of each module's test) names, per model and method, the roles that
  may call it on their own records; a method it does not name is the manager's only.
* **fields**: each field the module defines is written (with its own value) as each role
  on a record that role cannot read, and must be refused; the fields of
  ``PROTECTED_FIELDS`` (those that move money or state) are refused to every role the
  policy does not name, on any record.
* **reads**: each role reads the module's fields of a record it cannot read, and is
  refused.

The manager's scope is its company: its "outside" is another company's records, which the
fixture creates where a multi-company rule applies.

A call runs in a savepoint that is rolled back, whatever it did. Sockets may only reach
the loopback while the matrix runs (a method that would talk to a router meets a closed
port, never a real address).
"""

import inspect
import ipaddress
import logging
import re
import socket
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo import Command, models
from odoo.exceptions import AccessError
from odoo.modules.module import get_module_path
from odoo.service.model import get_public_method
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from .common import make_plan

# role -> groups (xmlids) of its user; roles whose groups are not installed are left out
ROLE_GROUPS = {
    "portal": ["base.group_portal"],
    "enterprise": ["base.group_portal"],
    "reseller": ["base.group_portal", "wisp_billing.group_wisp_reseller"],
    "installer": ["wisp_subscriber.group_wisp_installer"],
    "support": ["wisp_subscriber.group_wisp_support"],
    "billing": ["wisp_subscriber.group_wisp_billing"],
    "network": ["wisp_subscriber.group_wisp_network"],
    "manager": ["wisp_subscriber.group_wisp_manager"],
}
EXTERNAL_ROLES = ("public", "portal", "enterprise", "reseller")
STAFF_ROLES = ("installer", "support", "billing", "network", "manager")
SAMPLE_SIZE = 8
# ORM methods: their access is the ACLs' and record rules', exercised by the field rows
ORM_METHODS = {name for name in dir(models.BaseModel) if not name.startswith("_")}

# an RPC caller sets the context as it likes: every key our code reads is set by the matrix
CONTEXT_KEY_RE = re.compile(r"""context\.get\(\s*["']([\w.]+)["']|with_context\((\w+)=""")

_logger = logging.getLogger(__name__)


class _RolledBack(Exception):
    def __init__(self, result):
        super().__init__()
        self.result = result


def _loopback_only(original):
    def connect(sock, address, *args, **kwargs):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise OSError(f"access matrix: no traffic to {host}")
        return original(sock, address, *args, **kwargs)

    return connect


def rpc_context(env):
    """A caller's context that sets every context key the WISP addons read or pass."""
    keys = set()
    domain = [("name", "=like", "wisp\\_%"), ("state", "=", "installed")]
    for module in env["ir.module.module"].search(domain):
        root = Path(get_module_path(module.name))
        for path in root.rglob("*.py"):
            if "tests" in path.parts:
                continue
            for found in CONTEXT_KEY_RE.findall(path.read_text()):
                keys.update(key for key in found if key)
    return {key: True for key in sorted(keys) if key.startswith("wisp")}


def module_classes(model, module):
    """The classes of ``module`` in the model's hierarchy (its definitions and extensions)."""
    prefix = f"odoo.addons.{module}."
    return [cls for cls in type(model).mro() if cls.__module__.startswith(prefix)]


def module_models(env, module):
    """Names of the models ``module`` defines or extends, sorted."""
    return sorted(name for name in env.registry if module_classes(env[name], module))


def public_methods(model, module):
    """Names of the RPC-callable methods ``module`` writes on ``model``."""
    names = set()
    # the framework's methods every model has, from the ORM or added to ``base`` by an
    # addon (mail's ``mail_allowed_qweb_expressions``): an override keeps their contract
    framework = ORM_METHODS | set(dir(type(model.env["base"])))
    for cls in module_classes(model, module):
        for name, attr in vars(cls).items():
            if name.startswith("_") or name in framework or not inspect.isfunction(attr):
                continue
            try:
                get_public_method(model, name)
            except AccessError:
                continue  # @api.private
            names.add(name)
    return sorted(names)


def module_fields(model, module):
    """Fields of ``model`` that ``module`` defines or redefines, RPC-writable in principle."""
    result = []
    for name, field in model._fields.items():
        if module not in field._modules or name in models.MAGIC_COLUMNS:
            continue
        if field.compute and not field.inverse:
            continue
        if field.type == "one2many":
            continue
        result.append(name)
    return result


def write_value(record, field):
    """The record's own value of ``field`` in ``write()`` form."""
    value = record[field.name]
    if field.type == "many2one":
        return value.id
    if field.type == "many2many":
        return [Command.set(value.ids)]
    return value


class AccessMatrixCase(TransactionCase):
    """Base of each module's matrix test: subclasses set ``MODULE`` and the policy.

    ``METHOD_POLICY``: ``{model: {method: roles}}``, the roles that may call ``method``
    on records of their own scope (the manager always may).
    ``PROTECTED_FIELDS``: ``{model: {field: roles}}``, money and state fields and the
    roles that may write them (the manager always may).
    ``METHOD_ARGS``: ``{(model, method): kwargs}`` for methods with required arguments
    (the rest get ``None``): a well-guarded method refuses before it reads them.
    """

    allow_inherited_tests_method = True  # each module's subclass runs test_access_matrix
    MODULE = None
    METHOD_POLICY = {}
    PROTECTED_FIELDS = {}
    METHOD_ARGS = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.other_company = cls.env["res.company"].create({"name": "Matrix Other WISP"})
        cls.roles = cls._matrix_users()
        cls.caller_context = rpc_context(cls.env)
        cls._matrix_records()

    @classmethod
    def _matrix_users(cls):
        """One user per role, each with an account of its own."""
        users = {"public": cls.env.ref("base.public_user")}
        enterprise = cls.env["res.partner"].create(
            {"name": "Matrix Enterprise", "is_company": True}
        )
        for role, groups in ROLE_GROUPS.items():
            if not all(cls.env.ref(group, raise_if_not_found=False) for group in groups):
                continue
            partner = cls.env["res.partner"].create(
                {
                    "name": f"Matrix {role.title()}",
                    "email": f"matrix.{role}@example.com",
                    "parent_id": enterprise.id if role == "enterprise" else False,
                }
            )
            users[role] = new_test_user(
                cls.env,
                login=f"matrix_{role}",
                groups=",".join(groups),
                partner_id=partner.id,
                company_ids=[Command.set(cls.env.company.ids)],
            )
        return users

    @classmethod
    def _matrix_module_records(cls):
        """Hook: the records a module's own models need outside every role's scope."""

    @classmethod
    def _matrix_records(cls):
        """Records outside every role's scope, then the module's own."""
        cls.foreign_partner = other = cls.env["res.partner"].create(
            {"name": "Matrix Foreign Subscriber"}
        )
        cls.matrix_plan = plan = make_plan(cls.env, "Matrix Plan", 20.0, service_type="iptv")
        cls.matrix_site = site = cls.env["wisp.site"].create({"name": "Matrix Site", "code": "MXS"})
        cls.foreign_service = service = cls.env["wisp.service"].create(
            {
                "partner_id": other.id,
                "plan_id": plan.id,
                "site_id": site.id,
                "service_type": "iptv",
            }
        )
        service.action_confirm()
        cls.env["wisp.cpe.device"].create({"service_id": service.id, "name": "Matrix CPE"})
        cls.env["wisp.connection.request"].create(
            {
                "contact_name": "Matrix Lead",
                "email": "lead@example.com",
                "street": "1 Matrix Way",
                "city": "Matrixville",
                "plan_id": plan.id,
            }
        )
        # the manager's outside: another company's service
        cls.other_company_site = foreign_site = cls.env["wisp.site"].create(
            {"name": "Other Co Site", "code": "OCS", "company_id": cls.other_company.id}
        )
        cls.other_company_service = cls.env["wisp.service"].create(
            {
                "partner_id": other.id,
                "plan_id": plan.id,
                "site_id": foreign_site.id,
                "service_type": "iptv",
                "company_id": cls.other_company.id,
            }
        )
        # the usage ledger (wisp_subscriber's, extended by billing): one period each
        cls.env["wisp.service.usage.period"].create(
            [
                {
                    "service_id": foreign.id,
                    "plan_id": plan.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-01-31",
                    "used_mb": 1500.0,
                    "allowance_mb": 1000.0,
                }
                for foreign in (service, cls.other_company_service)
            ]
        )
        cls._matrix_module_records()

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def _loopback_only(self):
        with patch.object(socket.socket, "connect", _loopback_only(socket.socket.connect)):
            yield

    def _matrix_outcome(self, call):
        """``"refused"``, or a short text of what happened instead."""
        try:
            with self.env.cr.savepoint():
                raise _RolledBack(call())
        except AccessError:
            return "refused"
        except _RolledBack as done:
            return f"returned {done.result!r:.60}"
        except Exception as error:
            return f"raised {type(error).__name__}: {str(error)[:100]}"
        finally:
            self.env.invalidate_all()

    def _samples(self, model_name):
        Model = self.env[model_name].sudo().with_context(active_test=False)
        if Model._abstract:
            return Model
        samples = Model.search([], limit=SAMPLE_SIZE, order="id desc")
        if not samples and Model._transient:
            try:
                with self.env.cr.savepoint():
                    samples = Model.create({})  # a wizard of someone else's
            except Exception:
                return Model.browse()
        return samples

    def _out_of_scope(self, samples, role):
        """The samples ``role`` may not read: other accounts', other companies'."""
        user = self.roles[role]
        if not samples:
            return samples
        if role == "manager":
            samples = (
                samples.filtered(
                    lambda r: (
                        "company_id" in r._fields
                        and r.company_id
                        and r.company_id != self.env.company
                    )
                )
                or samples.browse()
            )
        if not samples:
            return samples
        readable = samples.with_user(user)._filtered_access("read")
        return samples - readable

    def _call_method(self, records, user, method):
        args = self.METHOD_ARGS.get((records._name, method))
        function = getattr(type(records), method)
        if args is None:
            parameters = list(inspect.signature(function).parameters.values())[1:]
            args = {
                p.name: None
                for p in parameters
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            }
        target = records.with_user(user).with_context(**self.caller_context)
        if getattr(function, "_api_model", False):
            target = target.browse()
        return self._matrix_outcome(lambda: getattr(target, method)(**args))

    # ------------------------------------------------------------------ the matrix
    def _matrix_methods(self, samples, role, methods):
        """Findings of ``role`` calling ``methods`` on records outside its scope."""
        policy = self.METHOD_POLICY.get(samples._name, {})
        foreign = self._out_of_scope(samples, role)
        findings, calls = [], 0
        for method in methods:
            allowed = role == "manager" or role in policy.get(method, ())
            if allowed and getattr(getattr(type(samples), method), "_api_model", False):
                # a model method has no record scope: it reads with the caller's rights,
                # and the roles the policy does not name are still refused below
                continue
            target = foreign[:1] if allowed else (foreign[:1] or samples[:1])
            if allowed and not target:
                continue
            calls += 1
            outcome = self._call_method(target, self.roles[role], method)
            if outcome != "refused":
                findings.append(f"{samples._name}.{method}() as {role}: {outcome}")
        return findings, calls

    def _matrix_fields(self, samples, role, field_names):
        """Findings of ``role`` writing and reading ``field_names`` outside its scope."""
        protected = self.PROTECTED_FIELDS.get(samples._name, {})
        foreign = self._out_of_scope(samples, role)
        user = self.roles[role]
        findings, calls = [], 0
        for name in field_names:
            may_write = role == "manager" or role in protected.get(name, ())
            target = foreign[:1]
            if name in protected and not may_write:
                target = target or samples[:1]
            if not target:
                continue
            calls += 1
            values = {name: write_value(target, samples._fields[name])}
            caller = target.with_user(user).with_context(**self.caller_context)
            outcome = self._matrix_outcome(lambda c=caller, v=values: c.write(v))
            if outcome != "refused":
                findings.append(f"{samples._name}.{name} written as {role}: {outcome}")
        if foreign:
            calls += 1
            reader = foreign[:1].with_user(user)
            outcome = self._matrix_outcome(lambda: reader.read(field_names))
            if outcome != "refused":
                findings.append(f"{samples._name} read as {role}: {outcome}")
        return findings, calls

    def test_access_matrix(self):
        findings, counts = [], {"models": 0, "methods": 0, "fields": 0, "calls": 0}
        with self._loopback_only():
            for model_name in module_models(self.env, self.MODULE):
                model = self.env[model_name]
                methods = public_methods(model, self.MODULE)
                field_names = module_fields(model, self.MODULE)
                if not methods and not field_names:
                    continue
                counts["models"] += 1
                counts["methods"] += len(methods)
                counts["fields"] += len(field_names)
                samples = self._samples(model_name)
                if not samples and not model._abstract:
                    findings.append(f"{model_name}: no record to test with, add one to the fixture")
                    continue
                checks_fields = field_names and not (model._abstract or model._transient)
                for role in self.roles:
                    found, calls = self._matrix_methods(samples, role, methods)
                    if checks_fields:
                        more, more_calls = self._matrix_fields(samples, role, field_names)
                        found, calls = found + more, calls + more_calls
                    findings += found
                    counts["calls"] += calls
        _logger.log(
            25,  # the test log level: the matrix size is part of the report
            "access matrix %s: %s models x %s methods / %s fields x %s roles = %s calls",
            self.MODULE,
            counts["models"],
            counts["methods"],
            counts["fields"],
            len(self.roles),
            counts["calls"],
        )
        self.assertFalse(findings, "\n" + "\n".join(findings))
