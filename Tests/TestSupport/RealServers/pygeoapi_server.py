"""pygeoapi's OGC API - Processes, served for tilefleet's contract tests.

Usage: python pygeoapi_server.py PORT WORKDIR

Writes a configuration (the built-in hello-world process, asynchronous jobs kept by the TinyDB
manager in WORKDIR) and its OpenAPI document into WORKDIR, then serves pygeoapi's own Flask app on
127.0.0.1:PORT. No plug-in: pygeoapi runs and finishes jobs by itself.
"""

import os
import sys
from pathlib import Path

port = int(sys.argv[1])
workdir = os.path.abspath(sys.argv[2])
os.makedirs(workdir, exist_ok=True)
config_path = os.path.join(workdir, "pygeoapi.config.yml")
openapi_path = os.path.join(workdir, "pygeoapi.openapi.yml")

with open(config_path, "w") as handle:
    handle.write(f"""server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 100, max_items: 1000}}
  map:
    url: https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png
    attribution: OSM
  manager:
    name: TinyDB
    connection: {os.path.join(workdir, "jobs.tinydb")}
    output_dir: {workdir}
logging:
  level: ERROR
metadata:
  identification:
    title: tilefleet contract tests
    description: pygeoapi for tilefleet's contract tests
    keywords: [tilefleet]
    keywords_type: theme
    terms_of_service: https://creativecommons.org/licenses/by/4.0/
    url: http://127.0.0.1
  license: {{name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}}
  provider: {{name: tilefleet, url: http://127.0.0.1}}
  contact: {{name: tilefleet, position: tests, address: none, city: none, stateorprovince: none, postalcode: none, country: none, email: none@example.org, url: http://127.0.0.1, role: pointOfContact}}
resources:
  hello-world:
    type: process
    processor:
      name: HelloWorld
""")

os.environ["PYGEOAPI_CONFIG"] = config_path
os.environ["PYGEOAPI_OPENAPI"] = openapi_path
from pygeoapi.openapi import generate_openapi_document  # noqa: E402

with open(openapi_path, "w") as handle:
    handle.write(generate_openapi_document(Path(config_path), "yaml"))

from pygeoapi.flask_app import APP  # noqa: E402  (reads the two files at import)

APP.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)
