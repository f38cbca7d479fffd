from . import captive, connection_request, hotspot, portal, reseller
