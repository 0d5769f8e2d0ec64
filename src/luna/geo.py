"""Great-circle distance, shared by venue search and the recommenders."""

import math

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) containing every point within `radius_km`.

    A cheap index prefilter (J. P. Matuschek's method); the exact distance decides after it.
    When the circle holds a pole or crosses the antimeridian, longitude is not restricted.
    """
    angular = radius_km / EARTH_RADIUS_KM
    rad_lat = math.radians(lat)
    min_lat, max_lat = rad_lat - angular, rad_lat + angular
    if min_lat <= -math.pi / 2 or max_lat >= math.pi / 2 or angular >= math.pi / 2:
        return max(-90.0, math.degrees(min_lat)), min(90.0, math.degrees(max_lat)), -180.0, 180.0
    dlng = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(rad_lat))))
    min_lng, max_lng = lng - dlng, lng + dlng
    if min_lng < -180.0 or max_lng > 180.0:
        min_lng, max_lng = -180.0, 180.0
    return math.degrees(min_lat), math.degrees(max_lat), min_lng, max_lng
