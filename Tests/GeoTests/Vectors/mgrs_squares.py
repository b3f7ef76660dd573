"""Writes mgrs-squares.tsv: MGRS 100 km squares computed by the independent `mgrs` package
(PyPI, GeoTrans-based), the reference MGRSExceptionTests checks tilefleet against.

Generated once and committed; to regenerate (from the repository root):

    python3 -m venv .local/mgrs-venv && .local/mgrs-venv/bin/pip install mgrs==1.6.0
    .local/mgrs-venv/bin/python Tests/GeoTests/Vectors/mgrs_squares.py > Tests/GeoTests/Vectors/mgrs-squares.tsv

Points: a lattice over Norway's 32V exception (56-64N, 0-12E), over Svalbard's 31X-37X
(72-84N, 0-42E) and their regular surroundings, offset from whole degrees so none lies on a zone
or band border.
"""
import mgrs

converter = mgrs.MGRS()


def frange(start, stop, step):
    value = start
    while value < stop:
        yield round(value, 6)
        value += step


points = []
# Norway and the regular zones around it (bands U, V, W; 0-15E).
points += [(lat, lon) for lat in frange(54.137, 66.0, 0.61) for lon in frange(0.113, 15.0, 0.83)]
# Svalbard and around (bands W, X; 0-45E).
points += [(lat, lon) for lat in frange(70.211, 84.0, 0.97) for lon in frange(0.173, 45.0, 1.37)]

print("latitude\tlongitude\tsquare")
for lat, lon in points:
    square = converter.toMGRS(lat, lon, MGRSPrecision=0)
    print(f"{lat}\t{lon}\t{square}")
