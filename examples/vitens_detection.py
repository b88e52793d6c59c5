"""Vitens / NOUS colony-counting folder → a detection project on a cluster.

    python examples/vitens_detection.py plates/ --cluster my-cluster

The folder holds the images and the `<image stem>_<anything>.json` annotation files. A point of
radius r (a colony) becomes its bounding square, a polygon its bounding box; every label is kept.
--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument).
"""

import argparse
import sys

import scmigrate

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("folder", help="the Vitens folder (images and annotation JSON files)")
p.add_argument("--cluster", required=True, help="a configured cluster name or https://HOST")
p.add_argument("--ca-bundle", help="CA certificate(s) of the cluster's TLS certificate")
p.add_argument("--project", default="Colonies", help="name of the new project")
a = p.parse_args()
try:
    report = scmigrate.transfer(from_=f"vitens:{a.folder}", to=a.cluster, ca_bundle=a.ca_bundle,
                                project=a.project, project_type="detection")
except scmigrate.ScmigrateError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(exc.exit_code)  # as the CLI: 2 for bad input, 1 for an incomplete transfer
print(report.summary())
