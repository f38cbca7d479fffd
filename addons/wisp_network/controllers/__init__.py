from . import libreqos, router_setup
