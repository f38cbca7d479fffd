from . import (
    test_access,
    test_access_matrix,
    test_connection_request,
    test_installation_order,
    test_installer_scope,
    test_plan,
    test_role_menus,
    test_service_lifecycle,
    test_service_validation,
    test_subscriber,
    test_tours_backoffice,
)
