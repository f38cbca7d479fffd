"""The WISP roles as group xmlids, and the check every public method makes first.

Every public method of a model is an RPC entry point for every logged-in user
(portal included). A method that acts as superuser, or whose effect is not
covered by the ACLs of the records it writes, names the roles that may call it
with :func:`check_groups` before it reads anything: the refusal is then the
same for records that exist and for ids that do not.
"""

from odoo.exceptions import AccessError

INSTALLER = "wisp_subscriber.group_wisp_installer"
SUPPORT = "wisp_subscriber.group_wisp_support"
BILLING = "wisp_subscriber.group_wisp_billing"
NETWORK = "wisp_subscriber.group_wisp_network"
MANAGER = "wisp_subscriber.group_wisp_manager"
# Back-office roles; the manager implies them all.
STAFF = (INSTALLER, SUPPORT, BILLING, NETWORK)


def has_groups(env, groups):
    """Whether the user of ``env`` has one of ``groups`` (the superuser has them all)."""
    return env.su or any(env.user.has_group(group) for group in groups)


def check_groups(env, groups):
    """Raise ``AccessError`` unless the user of ``env`` has one of ``groups``."""
    if not has_groups(env, groups):
        raise AccessError(env._("Your role does not allow this action."))


def field_write_error(env, field):
    """The refusal to write ``field`` that a model's ``_has_field_access`` denies
    by role (Odoo's own message lists field groups, which such a field has none of)."""
    return AccessError(
        env._("Your role may not change the field %(field)s here.", field=field.string)
    )


def related_action(record, groups, xmlid, narrow):
    """The window action ``xmlid`` that a smart button of ``record`` opens, for a user
    with one of ``groups`` who may read the record. ``narrow(record)`` gives its domain
    and context (or None: the action's own); it runs after the checks, so that the
    refusal is the same for the records of others and for ids that do not exist."""
    check_groups(record.env, groups)
    record.check_access("read")
    record.ensure_one()
    action = record.env["ir.actions.act_window"]._for_xml_id(xmlid)
    action["domain"], context = narrow(record)
    if context is not None:
        action["context"] = context
    return action
