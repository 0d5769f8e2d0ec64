"""Great-circle distance, shared by venue search, the recommenders and the learned ranker."""

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0


def distances_km(
    origin: tuple[float, float], phi: np.ndarray, cos_phi: np.ndarray, lng: np.ndarray
) -> np.ndarray:
    """Haversine distance from `origin` (latitude, longitude in degrees) to many points, each
    given by its latitude in radians, that latitude's cosine and its longitude in degrees: a
    catalog computes the first two once, not on every request."""
    phi1 = math.radians(origin[0])
    dphi = phi - phi1
    dlmb = np.radians(lng - origin[1])
    a = np.sin(dphi / 2) ** 2 + (math.cos(phi1) * cos_phi) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def haversine_km(
    lat1: float, lng1: float, lat2: float | np.ndarray, lng2: float | np.ndarray
) -> float | np.ndarray:
    """`distances_km` from (lat1, lng1) to (lat2, lng2): one point (a float) or arrays of
    points (an array)."""
    phi2 = np.radians(lat2)
    return distances_km((lat1, lng1), phi2, np.cos(phi2), lng2)


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
