from . import captive, connection_request, hotspot, message_preferences, portal, reseller
