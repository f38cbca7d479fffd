from odoo import api, models
from odoo.exceptions import AccessError

BILLING_GROUP = "wisp_subscriber.group_wisp_billing"
# Writes what the code sets, for corrections ("everything in the WISP suite").
MANAGER_GROUP = "wisp_subscriber.group_wisp_manager"


class WispProtectedFieldsMixin(models.AbstractModel):
    """Fields that move money or state, kept out of reach of RPC writes.

    Write access to a record (an ACL for its buttons) would let its user write any of its
    fields over RPC, readonly ones included. The fields named in ``_wisp_protected_fields``
    are written by the code that owns them (as superuser, after its own checks) and by
    the group each one names; other users read them, and ``fields_get`` shows them
    read-only (the same hook as a field's ``groups``, for writes only).
    """

    _name = "wisp.protected.fields.mixin"
    _description = "WISP Protected Fields"

    # {field name: xmlid of the group that may write it}
    _wisp_protected_fields = {}

    def _has_field_access(self, field, operation):
        group = operation == "write" and self._wisp_protected_fields.get(field.name)
        if group and not self.env.su and not self.env.user.has_group(group):
            return False
        return super()._has_field_access(field, operation)

    @api.model
    def _check_field_access(self, field, operation):
        if field.name in self._wisp_protected_fields and not self._has_field_access(
            field, operation
        ):
            raise AccessError(
                self.env._(
                    "You are not allowed to change %(field)s on %(model)s.",
                    field=field.string,
                    model=self.env["ir.model"]._get(self._name).name,
                )
            )
        return super()._check_field_access(field, operation)
