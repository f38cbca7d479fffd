"""Distances on the Earth's surface, for coverage checks and installer routing."""

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088


def has_position(latitude, longitude):
    """Whether a (latitude, longitude) pair was set: Odoo stores an empty float as 0.0,
    and (0, 0) is the sea off Africa, never a WISP address."""
    return bool(latitude or longitude)


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between two points given in degrees (haversine)."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi, dlambda = phi2 - phi1, radians(lon2 - lon1)
    a = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a)))
