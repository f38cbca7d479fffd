from . import (
    test_access_matrix,
    test_circuit_test,
    test_dashboard_network,
    test_job_queue,
    test_network_views,
    test_online_status,
    test_provisioning,
    test_radius,
    test_reconcile,
    test_security,
    test_tours_backoffice,
    test_usage,
)
