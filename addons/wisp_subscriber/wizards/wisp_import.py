"""Migration: subscribers, services and CPE devices from a CSV file.

One row per service (a row without a service reference only brings its
subscriber); a subscriber's columns repeat on each of its services' rows. A
preset names the columns of another system's export; the plain template names
them by their key. Each record gets a stable external id
(``wisp_import.<source>_<kind>_<reference>``), so importing the same file again
finds every record and writes only what differs: nothing, the second time.

The run is all or nothing: it checks every row first (the dry run is that
check alone) and writes nothing while a row is wrong, so a migration never
lands half-way and the report lists every problem of the file at once.

Services reach their status through the life cycle (``_apply_transition``),
one batch per move, under the context ``wisp_import`` that the addons honour
for the superuser only: billing does not invoice what the old system already
billed, the network queues no per-service sync job (wisp_network reconciles
each router of the imported services once afterwards), and no subscriber is
told about a suspension that happened in the old system.
"""

import base64
import csv
import io
import re
from collections import defaultdict, deque
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.wisp_cpe_device import normalize_ip, normalize_mac
from ..models.wisp_service import LOGIN_RE, SERVICE_STATES, TRANSITIONS, WISP_IMPORT_RUN
from ..tools.access import MANAGER, check_groups

IMPORT_MODULE = "wisp_import"
# An installation needs an installer and a date: an order still to install is
# imported as confirmed, its installation order made in the suite.
IMPORT_STATES = ("draft", "confirmed", "active", "restricted", "suspended", "paused", "terminated")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
# A subscriber's columns, the same on each of its rows.
SUBSCRIBER_KEYS = (
    "name",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "street",
    "zip",
    "city",
)
# Columns that only a row with a service reference may fill.
SERVICE_KEYS = ("plan", "login", "password", "ip_address", "cpe_model", "cpe_serial", "cpe_mac")
# Fields compared (and written when they differ) on a record imported before.
PARTNER_FIELDS = ("name", "email", "phone", "street", "zip", "city")
SERVICE_FIELDS = ("plan_id", "service_type", "login", "ip_address", "site_id")
DEVICE_FIELDS = ("name", "serial_number", "mac_address", "service_id")

# key -> (kind, required, what it holds). Other addons add theirs (_wisp_import_columns).
BASE_COLUMNS = {
    "subscriber_ref": ("text", True, "the subscriber's id in the old system"),
    "name": ("text", False, "full name (or first_name + last_name, or company_name)"),
    "first_name": ("text", False, "first name"),
    "last_name": ("text", False, "last name"),
    "company_name": ("text", False, "company name (a company subscriber)"),
    "email": ("text", False, "e-mail"),
    "phone": ("text", False, "phone"),
    "street": ("text", False, "street"),
    "zip": ("text", False, "postal code"),
    "city": ("text", False, "city"),
    "service_ref": ("text", False, "the service's id in the old system (empty: no service)"),
    "plan": ("text", False, "plan name or internal reference (required with a service)"),
    "status": ("state", False, "service status (empty: active)"),
    "login": ("login", False, "PPPoE / hotspot login"),
    "password": ("text", False, "PPPoE / hotspot password"),
    "ip_address": ("ip", False, "static IP address"),
    "site": ("text", False, "site code or name"),
    "activation_date": ("date", False, "activation date, YYYY-MM-DD (empty: the import day)"),
    "termination_date": ("date", False, "termination date of a terminated service"),
    "expiry_date": ("date", False, "end of a prepaid service's paid time (required when active)"),
    "cpe_model": ("text", False, "CPE model"),
    "cpe_serial": ("text", False, "CPE serial number"),
    "cpe_mac": ("mac", False, "CPE MAC address"),
}

SPLYNX_STATES = {
    "active": "active",
    "new": "confirmed",
    "pending": "confirmed",
    "blocked": "suspended",
    "paused": "paused",
    "stopped": "terminated",
    "disabled": "terminated",
    "archived": "terminated",
    "inactive": "terminated",
}
# UISP CRM service status codes (its API's ``status``) and their names.
UISP_STATES = {
    "0": "confirmed",
    "prepared": "confirmed",
    "1": "active",
    "active": "active",
    "2": "terminated",
    "ended": "terminated",
    "3": "suspended",
    "suspended": "suspended",
    "4": "confirmed",
    "prepared blocked": "confirmed",
    "5": "terminated",
    "obsolete": "terminated",
    "6": "confirmed",
    "deferred": "confirmed",
    "7": "draft",
    "quoted": "draft",
    "8": "terminated",
    "inactive": "terminated",
}


def _xmlid_part(value):
    """A reference as an xmlid name part: letters, digits and '-' kept, anything
    else (the '_' escape included) as '_' + hex, so two references never collide."""
    return re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}_", value)


class WispImport(models.TransientModel):
    _name = "wisp.import"
    _description = "Import Subscribers (Migration)"

    preset = fields.Selection(
        selection="_selection_preset",
        required=True,
        default="template",
        help="Whose column names the file uses: the suite's template or another system's export.",
    )
    source = fields.Char(
        compute="_compute_source",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        help="Name of the system the data comes from: part of each record's external id, "
        "so that importing its files again updates the same records.",
    )
    file = fields.Binary(string="CSV File")
    filename = fields.Char()
    opening_date = fields.Date(
        default=fields.Date.context_today,
        required=True,
        help="The day the suite takes over: default activation day, and the date of the "
        "opening balances.",
    )
    state = fields.Selection(
        [("draft", "To Check"), ("checked", "Checked"), ("failed", "Errors"), ("done", "Imported")],
        default="draft",
        readonly=True,
    )
    row_count = fields.Integer(readonly=True)
    error_count = fields.Integer(readonly=True)
    report = fields.Text(readonly=True)
    template_file = fields.Binary(readonly=True, attachment=False)
    template_filename = fields.Char(readonly=True)

    @api.model
    def _selection_preset(self):
        return [(code, preset["label"]) for code, preset in self._wisp_import_presets().items()]

    @api.depends("preset")
    def _compute_source(self):
        for wizard in self:
            wizard.source = wizard.preset or "template"

    # -------------------------------------------------------------------------
    # Columns and presets (other addons extend both)
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_import_columns(self):
        return dict(BASE_COLUMNS)

    @api.model
    def _wisp_import_presets(self):
        """``{code: {label, columns: {key: header}, states: {value: status}}}``.

        Splynx: the field labels of its customer and service pages (docs.splynx.com,
        "Customer information", "Customer services"), one row per service with its
        customer's columns. UISP CRM: the attribute names of its API's client and
        service (a services export with the client's columns). README.rst says what
        each preset is based on.
        """
        return {
            "template": {
                "label": self.env._("Template (this suite)"),
                "columns": {key: key for key in self._wisp_import_columns()},
                "states": {code: code for code in IMPORT_STATES},
            },
            "splynx": {
                "label": "Splynx",
                "columns": {
                    "subscriber_ref": "Customer ID",
                    "name": "Full name",
                    "email": "Email",
                    "phone": "Phone number",
                    "street": "Street",
                    "zip": "ZIP code",
                    "city": "City",
                    "service_ref": "Service ID",
                    "plan": "Plan",
                    "status": "Status",
                    "login": "Login",
                    "password": "Password",
                    "ip_address": "IPv4",
                    "site": "Location",
                    "activation_date": "Start date",
                    "termination_date": "End date",
                    "expiry_date": "Expiration date",
                    "cpe_model": "Device",
                    "cpe_serial": "Serial number",
                    "cpe_mac": "MAC",
                },
                "states": SPLYNX_STATES,
            },
            "uisp": {
                "label": "UISP CRM",
                "columns": {
                    "subscriber_ref": "clientId",
                    "first_name": "firstName",
                    "last_name": "lastName",
                    "company_name": "companyName",
                    "email": "email",
                    "phone": "phone",
                    "street": "street1",
                    "zip": "zipCode",
                    "city": "city",
                    "service_ref": "id",
                    "plan": "servicePlanName",
                    "status": "status",
                    "login": "username",
                    "password": "password",
                    "ip_address": "ipAddress",
                    "site": "site",
                    "activation_date": "activeFrom",
                    "termination_date": "activeTo",
                    "expiry_date": "prepaidUntil",
                    "cpe_model": "deviceModel",
                    "cpe_serial": "deviceSerialNumber",
                    "cpe_mac": "macAddress",
                },
                "states": UISP_STATES,
            },
        }

    @api.model
    def _wisp_import_context(self):
        """The context of the writes: the addons honour ``wisp_import`` for the
        superuser and this value only (a caller's context key proves nothing)."""
        return {
            "wisp_import": WISP_IMPORT_RUN,
            "tracking_disable": True,
            "mail_create_nolog": True,
            "mail_notrack": True,
        }

    # -------------------------------------------------------------------------
    # Buttons (manager only)
    # -------------------------------------------------------------------------
    def action_download_template(self):
        check_groups(self.env, (MANAGER,))
        self.ensure_one()
        columns = self._wisp_import_columns()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(list(columns))
        writer.writerow([f"({spec[2]})" for spec in columns.values()])
        self.write(
            {
                "template_file": base64.b64encode(out.getvalue().encode()),
                "template_filename": "wisp_import_template.csv",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model=wisp.import&id={self.id}&field=template_file"
            "&filename_field=template_filename&download=true",
            "target": "self",
        }

    def action_check(self):
        """Dry run: check every row, write nothing but this wizard's report."""
        check_groups(self.env, (MANAGER,))
        self.ensure_one()
        rows, errors = self._wisp_read()
        self._wisp_report(rows, errors)
        self.state = "failed" if errors else "checked"
        return self._wisp_reopen()

    def action_import(self):
        """Check every row, then write them all, or nothing while a row is wrong."""
        check_groups(self.env, (MANAGER,))
        self.ensure_one()
        rows, errors = self._wisp_read()
        if errors:
            self._wisp_report(rows, errors)
            self.state = "failed"
            return self._wisp_reopen()
        counts = self._wisp_import(rows)
        self.write(
            {
                "state": "done",
                "row_count": len(rows),
                "error_count": 0,
                "report": "\n".join(
                    self.env._(
                        "%(kind)s: %(created)s created, %(updated)s updated, %(same)s unchanged",
                        kind=kind,
                        created=c["created"],
                        updated=c["updated"],
                        same=c["unchanged"],
                    )
                    for kind, c in counts.items()
                ),
            }
        )
        return self._wisp_reopen()

    def _wisp_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _wisp_report(self, rows, errors):
        lines = [
            self.env._(
                "Row %(row)s, column %(column)s: %(message)s",
                row=row,
                column=column or "-",
                message=message,
            )
            for row, column, message in sorted(errors, key=lambda e: e[0])
        ]
        self.write(
            {
                "row_count": len(rows),
                "error_count": len(errors),
                "report": "\n".join(lines)
                or self.env._("%(count)s rows checked: no error.", count=len(rows)),
            }
        )

    # -------------------------------------------------------------------------
    # Reading and checking (the dry run)
    # -------------------------------------------------------------------------
    def _wisp_read(self):
        """``(rows, errors)``: each row a dict of converted values by key (``_line``:
        its line in the file), each error ``(line, column header, message)``."""
        if not self.file:
            raise UserError(self.env._("Choose a CSV file first."))
        try:
            text = base64.b64decode(self.file).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError(self.env._("The file is not UTF-8 text.")) from None
        try:
            dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        header = next(reader, None)
        if not header:
            raise UserError(self.env._("The file is empty."))
        preset = self._wisp_import_presets()[self.preset]
        columns = self._wisp_import_columns()
        position = {name.strip().lower(): i for i, name in enumerate(header)}
        index = {
            key: position[title.lower()]
            for key, title in preset["columns"].items()
            if key in columns and title.lower() in position
        }
        titles = {key: preset["columns"].get(key, key) for key in columns}
        missing = [titles[k] for k, spec in columns.items() if spec[1] and k not in index]
        if missing:
            raise UserError(
                self.env._(
                    "The file has no column %(columns)s, which the %(preset)s preset needs.",
                    columns=", ".join(missing),
                    preset=preset["label"],
                )
            )
        rows, errors = [], []
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(
                    (
                        line,
                        None,
                        self.env._(
                            "malformed row: %(count)s fields where the header has %(header)s.",
                            count=len(values),
                            header=len(header),
                        ),
                    )
                )
                continue
            row = {"_line": line}
            for key, i in index.items():
                raw = values[i].strip()
                if not raw:
                    continue
                try:
                    row[key] = self._wisp_convert(columns[key][0], raw, preset)
                except (ValidationError, UserError) as error:
                    errors.append((line, titles[key], error.args[0]))
            rows.append(row)
        self._wisp_check_rows(rows, titles, errors)
        return rows, errors

    def _wisp_convert(self, kind, raw, preset):
        """The value of a cell of ``kind``, or raise with a message for the report."""
        env = self.env
        converters = {
            "text": lambda: raw,
            "date": lambda: _parse_date(env, raw),
            "mac": lambda: normalize_mac(env, raw),
            "ip": lambda: normalize_ip(env, raw),
            "login": lambda: _parse_login(env, raw),
            "state": lambda: _parse_state(env, raw, preset["states"]),
            "amount": lambda: _parse_amount(env, raw),
        }
        return converters[kind]()

    def _wisp_check_rows(self, rows, titles, errors):
        """Checks that look at the whole file and at the database (other addons add
        theirs): names, plans, sites, logins and devices unique, reachable statuses."""
        env = self.env
        plans = self._wisp_plans()
        sites = self._wisp_sites()
        existing = self._wisp_existing("wisp.service", {r.get("service_ref") for r in rows})
        existing_services = env["wisp.service"].sudo().browse(existing.values())
        services_by_id = {service.id: service for service in existing_services}
        seen = {"login": {}, "cpe_mac": {}, "cpe_serial": {}, "service_ref": {}}

        def error(row, key, message):
            errors.append((row["_line"], titles.get(key) if key else None, message))

        first_row = {}
        for row in rows:
            if not (row.get("name") or row.get("company_name") or row.get("last_name")):
                error(row, "name", env._("the subscriber has no name."))
            first = first_row.setdefault(row["subscriber_ref"], row)
            differs = [k for k in SUBSCRIBER_KEYS if row.get(k) != first.get(k)]
            if differs:
                error(
                    row,
                    differs[0],
                    env._(
                        "subscriber %(ref)s has another %(column)s on row %(row)s.",
                        ref=row["subscriber_ref"],
                        column=titles[differs[0]],
                        row=first["_line"],
                    ),
                )
            if row.get("site") and row["site"].lower() not in sites:
                error(row, "site", env._("unknown site %(site)r.", site=row["site"]))
            if not row.get("service_ref"):
                key = next((k for k in SERVICE_KEYS if row.get(k)), None)
                if key:
                    error(row, key, env._("a service column needs a service reference."))
                continue
            for key, values in seen.items():
                value = row.get(key)
                if value in values:
                    error(
                        row,
                        key,
                        env._(
                            "duplicate %(column)s %(value)r (also on row %(row)s).",
                            column=titles[key],
                            value=value,
                            row=values[value],
                        ),
                    )
                elif value:
                    values[value] = row["_line"]
            service = services_by_id.get(existing.get(row["service_ref"]), env["wisp.service"])
            self._wisp_check_service_row(row, plans, service, error)
        self._wisp_check_taken(rows, existing_services, seen, error)
        return errors

    def _wisp_check_service_row(self, row, plans, service, error):
        """A service's plan, prepaid time and status (``service``: the one a previous
        import of this source made, if any)."""
        env = self.env
        plan = plans.get((row.get("plan") or "").lower())
        target = row.get("status", "active")
        if not row.get("plan"):
            error(row, "plan", env._("a service needs a plan."))
        elif not plan:
            error(row, "plan", env._("unknown plan %(plan)r.", plan=row["plan"]))
        elif plan.is_prepaid and target == "active" and not row.get("expiry_date"):
            error(
                row,
                "expiry_date",
                env._("an active prepaid service needs the end of its paid time."),
            )
        if service and service.state != target and self._wisp_path(service.state, target) is None:
            states = dict(SERVICE_STATES)
            error(
                row,
                "status",
                env._(
                    "service %(service)s is %(state)s: it cannot become %(target)s.",
                    service=service.name,
                    state=states[service.state],
                    target=states[target],
                ),
            )

    def _wisp_check_taken(self, rows, existing_services, seen, error):
        """Logins, MACs and serials held in the database by another record than the
        one this file imported before."""
        env = self.env
        by_value = seen
        line_rows = {row["_line"]: row for row in rows}
        for key, model, field, own in (
            ("login", "wisp.service", "login", existing_services),
            ("cpe_mac", "wisp.cpe.device", "mac_address", existing_services.device_ids),
            ("cpe_serial", "wisp.cpe.device", "serial_number", existing_services.device_ids),
        ):
            if not by_value[key]:
                continue
            taken = (
                env[model]
                .sudo()
                .with_context(active_test=False)
                .search_read(
                    [(field, "in", list(by_value[key])), ("id", "not in", own.ids)],
                    [field, "display_name"],
                )
            )
            for record in taken:
                error(
                    line_rows[by_value[key][record[field]]],
                    key,
                    env._(
                        "%(value)s is already used by %(record)s.",
                        value=record[field],
                        record=record["display_name"],
                    ),
                )

    def _wisp_plans(self):
        """Plans by lower-case name and internal reference."""
        plans = {}
        for plan in (
            self.env["product.product"]
            .sudo()
            .search(
                [("is_wisp_plan", "=", True), ("company_id", "in", [False, self.env.company.id])]
            )
        ):
            plans.setdefault(plan.name.lower(), plan)
            if plan.default_code:
                plans.setdefault(plan.default_code.lower(), plan)
        return plans

    def _wisp_sites(self):
        sites = {}
        for site in self.env["wisp.site"].sudo().search([("company_id", "=", self.env.company.id)]):
            sites.setdefault(site.name.lower(), site)
            if site.code:
                sites.setdefault(site.code.lower(), site)
        return sites

    @api.model
    def _wisp_path(self, start, target):
        """The shortest list of transitions from ``start`` to ``target`` (the life
        cycle's table; never through an installation), or None."""
        queue, seen = deque([(start, [])]), {start}
        while queue:
            state, path = queue.popleft()
            if state == target:
                return path
            for transition, (sources, end) in TRANSITIONS.items():
                if state in sources and end not in seen and end in IMPORT_STATES:
                    seen.add(end)
                    queue.append((end, [*path, transition]))
        return None

    # -------------------------------------------------------------------------
    # External ids
    # -------------------------------------------------------------------------
    def _wisp_xmlid_name(self, model, ref):
        kind = model.replace(".", "_")
        return f"{_xmlid_part(self.source)}__{kind}__{_xmlid_part(ref)}"

    def _wisp_existing(self, model, refs):
        """``{reference: id}`` of the records of ``model`` this source imported before."""
        names = {self._wisp_xmlid_name(model, ref): ref for ref in refs if ref}
        if not names:
            return {}
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search_read(
                [
                    ("module", "=", IMPORT_MODULE),
                    ("model", "=", model),
                    ("name", "in", list(names)),
                ],
                ["name", "res_id"],
            )
        )
        return {names[d["name"]]: d["res_id"] for d in data}

    def _wisp_bind(self, model, records_by_ref):
        self.env["ir.model.data"].sudo().create(
            [
                {
                    "module": IMPORT_MODULE,
                    "name": self._wisp_xmlid_name(model, ref),
                    "model": model,
                    "res_id": record.id,
                    "noupdate": True,
                }
                for ref, record in records_by_ref.items()
            ]
        )

    def _wisp_upsert(self, model, vals_by_ref, counts):
        """Create the records not imported yet, write on the others only the
        values that differ; an empty cell keeps what the suite has (an address the
        pools gave, a login). ``({reference: record}, records created or written)``."""
        Model = self.env[model]
        existing = self._wisp_existing(model, vals_by_ref)
        # one recordset, so that reading the first record fetches them all (no query per row)
        found = Model.browse(existing.values())
        by_id = {record.id: record for record in found}
        records = {ref: by_id[existing[ref]] for ref in vals_by_ref if ref in existing}
        touched = Model
        for ref, record in records.items():
            changed = {
                name: value
                for name, value in vals_by_ref[ref].items()
                if value and _field_value(record, name) != value
            }
            if changed:
                record.write(changed)
                touched |= record
        new_refs = [ref for ref in vals_by_ref if ref not in existing]
        created = Model.create([vals_by_ref[ref] for ref in new_refs])
        new = dict(zip(new_refs, created, strict=True))
        self._wisp_bind(model, new)
        records.update(new)
        counts["created"] += len(created)
        counts["updated"] += len(touched)
        counts["unchanged"] += len(records) - len(created) - len(touched)
        return records, touched | created

    # -------------------------------------------------------------------------
    # Writing (the real run)
    # -------------------------------------------------------------------------
    def _wisp_import(self, rows):
        """Write the checked rows as superuser (the caller is a manager, checked by
        the button) under the import context. ``{kind: counts}``."""
        wizard = self.sudo().with_context(**self._wisp_import_context())
        try:
            return wizard._wisp_import_rows(rows)["counts"]
        except (UserError, ValidationError) as error:
            raise UserError(
                self.env._("The import stopped and wrote nothing: %(error)s", error=error.args[0])
            ) from error

    def _wisp_import_rows(self, rows):
        """Subscribers, services and their status, devices. Other addons write their
        part after calling this and read ``result``."""
        result = {"counts": {}}
        partners = self._wisp_import_partners(rows, result)
        services = self._wisp_import_services(rows, partners, result)
        self._wisp_import_devices(rows, services, result)
        return result

    def _counts(self, result, kind):
        return result["counts"].setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})

    def _wisp_import_partners(self, rows, result):
        vals_by_ref = {}
        for row in rows:
            ref = row["subscriber_ref"]
            if ref in vals_by_ref:
                continue
            company = row.get("company_name")
            name = (
                row.get("name")
                or company
                or " ".join(filter(None, (row.get("first_name"), row.get("last_name"))))
            )
            vals_by_ref[ref] = {
                "name": name,
                "is_company": bool(company),
                **{f: row.get(f, False) for f in PARTNER_FIELDS if f != "name"},
            }
        partners = self._wisp_upsert(
            "res.partner", vals_by_ref, self._counts(result, "Subscribers")
        )[0]
        result["partners"] = partners
        return partners

    def _wisp_import_services(self, rows, partners, result):
        plans, sites = self._wisp_plans(), self._wisp_sites()
        vals_by_ref, service_rows = {}, {}
        for row in rows:
            ref = row.get("service_ref")
            if not ref:
                continue
            plan = plans[row["plan"].lower()]
            site = sites.get((row.get("site") or "").lower())
            vals_by_ref[ref] = {
                "partner_id": partners[row["subscriber_ref"]].id,
                "plan_id": plan.id,
                "service_type": plan.service_type,
                "login": row.get("login", False),
                "ip_address": row.get("ip_address", False),
                "site_id": site.id if site else False,
            }
            service_rows[ref] = row
        existing = self._wisp_existing("wisp.service", vals_by_ref)
        for ref, vals in vals_by_ref.items():
            if ref not in existing:
                # set once: a re-import never overwrites a password changed since
                vals["network_password"] = service_rows[ref].get("password") or False
                if not vals["login"]:
                    vals.pop("login")  # generated from the service's reference
            else:
                vals.pop("partner_id")  # moving a service to another account is not a migration
        counts = self._counts(result, "Services")
        services, touched = self._wisp_upsert("wisp.service", vals_by_ref, counts)
        moved = self._wisp_apply_states(services, service_rows, result)
        # a service only moved (or given its paid time) was counted unchanged
        counts["updated"] += len(moved - touched)
        counts["unchanged"] -= len(moved - touched)
        result["services"] = services
        result["service_rows"] = service_rows
        # created, written or moved: what the network must now hold
        result["changed_services"] = touched | moved
        return services

    def _wisp_apply_states(self, services, service_rows, result):
        """Bring each service to its row's status through the life cycle: one batch
        per path of moves (one event per batch for billing and the network).
        ``result["activated"]``: the services activated by this import."""
        Service = self.env["wisp.service"]
        result["activated"] = Service
        by_path = defaultdict(lambda: Service)
        for ref, service in services.items():
            row = service_rows[ref]
            target = row.get("status", "active")
            if service.state == target:
                continue
            by_path[tuple(self._wisp_path(service.state, target))] |= service
        moved = Service
        for path, batch in by_path.items():
            for transition in path:
                if transition == "activate":
                    self._wisp_set_dates(batch, service_rows, services, "activation_date")
                    result["activated"] |= batch
                batch._apply_transition(transition)
                if transition == "terminate":
                    self._wisp_set_dates(batch, service_rows, services, "termination_date")
            moved |= batch
        by_expiry = defaultdict(lambda: Service)
        for ref, service in services.items():
            expiry = service_rows[ref].get("expiry_date")
            if expiry and service.expiry_date != expiry:
                by_expiry[expiry] |= service
        for expiry, group in by_expiry.items():
            group.expiry_date = expiry
        return moved.union(*by_expiry.values())

    def _wisp_set_dates(self, batch, service_rows, services, field):
        ref_of = {service.id: ref for ref, service in services.items()}
        by_date = defaultdict(lambda: self.env["wisp.service"])
        for service in batch:
            row = service_rows[ref_of[service.id]]
            by_date[row.get(field) or self.opening_date] |= service
        for day, group in by_date.items():
            if any(s[field] != day for s in group):
                group.write({field: day})

    def _wisp_import_devices(self, rows, services, result):
        vals_by_ref = {}
        for row in rows:
            ref = row.get("service_ref")
            if ref and (row.get("cpe_mac") or row.get("cpe_serial") or row.get("cpe_model")):
                vals_by_ref[ref] = {
                    "name": row.get("cpe_model") or self.env._("CPE"),
                    "serial_number": row.get("cpe_serial", False),
                    "mac_address": row.get("cpe_mac", False),
                    "service_id": services[ref].id,
                }
        result["devices"] = self._wisp_upsert(
            "wisp.cpe.device", vals_by_ref, self._counts(result, "CPE devices")
        )[0]


def _parse_date(env, raw):
    match = DATE_RE.match(raw)
    try:
        if match:
            return date(*map(int, match.groups()))
    except ValueError:
        pass
    raise ValidationError(env._("%(value)r is not a date (YYYY-MM-DD).", value=raw))


def _parse_login(env, raw):
    login = raw.lower()
    if not LOGIN_RE.match(login):
        raise ValidationError(
            env._(
                "login %(login)r is not valid: 3 to 64 lower-case letters, digits and . _ @ -.",
                login=raw,
            )
        )
    return login


def _parse_state(env, raw, states):
    state = states.get(raw.lower())
    if state not in IMPORT_STATES:
        raise ValidationError(
            env._(
                "unknown status %(value)r (known: %(known)s).",
                value=raw,
                known=", ".join(sorted(states)),
            )
        )
    return state


def _parse_amount(env, raw):
    try:
        return float(raw.replace(" ", "").replace(",", "."))
    except ValueError:
        raise ValidationError(env._("%(value)r is not an amount.", value=raw)) from None


def _field_value(record, name):
    """A record's value of ``name`` as the import compares it (ids for relations)."""
    value = record[name]
    if isinstance(value, models.BaseModel):
        return value.id
    return value
