#!/usr/bin/env python3
"""One tile of config/tasks/cologne-geocube.yaml: the per-tile function of a Geocube-like run.

tilefleet's command backend runs it once per tile in a directory of its own, with the tile in the
environment (TILEFLEET_BBOX "west,south,east,north" and TILEFLEET_CRS in the tile's own CRS,
TILEFLEET_WINDOW "start/end" with the end excluded, every argument as TILEFLEET_ARG_<NAME>, all of them as JSON in the
file TILEFLEET_ARGUMENTS). What it writes into TILEFLEET_OUTPUT_DIR becomes the tile's assets.

Standard library only. It fetches no imagery: it describes the tile's pixel grid, the stand-in for
the analysis a real function would run over the time series of that grid.
"""
import json
import math
import os
import sys


def main():
    # The part of the cell inside the area of interest (a cell on the area's edge is clipped).
    west, south, east, north = (float(v) for v in os.environ["TILEFLEET_BBOX"].split(","))
    crs = os.environ["TILEFLEET_CRS"]
    window = os.environ.get("TILEFLEET_WINDOW", "")
    pixel = float(os.environ.get("TILEFLEET_ARG_PIXEL_SIZE", "10"))
    pixels = int(os.environ.get("TILEFLEET_ARG_TILE_PIXELS", "256"))
    if east <= west or north <= south:
        print(f"an empty tile: {west},{south},{east},{north}", file=sys.stderr)
        return 1
    # The whole cell of the grid (crs:<EPSG>:<pixels>x<pixels>@<pixel>, aligned to the CRS origin):
    # every tile is a full pixels × pixels raster, as in a data cube.
    size = pixels * pixel
    x0, y0 = math.floor(west / size + 1e-9) * size, math.floor(south / size + 1e-9) * size
    x1, y1 = x0 + size, y0 + size
    width, height = round((x1 - x0) / pixel), round((y1 - y0) / pixel)
    inside = round((east - west) / pixel) * round((north - south) / pixel)
    epsg = crs.split(":")[-1]
    feature = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
        "properties": {
            "crs": crs,
            "pixel_size": pixel,
            "width": width,
            "height": height,
            "pixels_in_aoi": inside,
            "aoi_bbox": [west, south, east, north],
            "window": window,
            "job": os.environ.get("TILEFLEET_JOB_ID", ""),
        },
    }
    # The tile's own CRS, as GDAL and QGIS read it (GeoJSON 2008's crs member).
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": [feature],
    }
    path = os.path.join(os.environ["TILEFLEET_OUTPUT_DIR"], "tile.geojson")
    with open(path, "w") as out:
        json.dump(collection, out)
    print(f"{width}x{height} pixels of {pixel:g} m in {crs} ({inside} in the area), window {window}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
