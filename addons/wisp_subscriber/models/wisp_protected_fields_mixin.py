from odoo import api, models

from ..tools.access import field_write_error, has_groups


class WispProtectedFieldsMixin(models.AbstractModel):
    """Fields that move money or state, kept out of reach of RPC writes.

    Write access to a record (an ACL its buttons need) lets its user write any of its
    fields over RPC, read-only ones included. The fields named by
    :meth:`_wisp_field_write_groups` are written by the code that owns them (as superuser,
    after its own checks) and by the roles each one names; others read them, and
    ``fields_get`` shows them read-only. This is Odoo's hook for a field's ``groups``,
    applied to writes only.
    """

    _name = "wisp.protected.fields.mixin"
    _description = "WISP Protected Fields"

    @api.model
    def _wisp_field_write_groups(self):
        """``{field name: group xmlids that may write it}``; ``()``: the code only.

        Extensions add their fields to ``super()``'s.
        """
        return {}

    def _has_field_access(self, field, operation):
        if operation == "write" and not self.env.su:
            groups = self._wisp_field_write_groups().get(field.name)
            if groups is not None and not has_groups(self.env, groups):
                return False
        return super()._has_field_access(field, operation)

    @api.model
    def _check_field_access(self, field, operation):
        if (
            operation == "write"
            and field.name in self._wisp_field_write_groups()
            and not self._has_field_access(field, operation)
        ):
            raise field_write_error(self.env, field)
        return super()._check_field_access(field, operation)
