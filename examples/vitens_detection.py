"""Vitens / NOUS colony-counting folder → a detection project on a cluster.

    python examples/vitens_detection.py plates/ --cluster my-cluster

The folder holds the images and the `<image stem>_<anything>.json` annotation files. A point of
radius r (a colony) becomes its bounding square, a polygon its bounding box; every label is kept.
--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument).
"""

import argparse

from scmigrate.script import cluster_arguments, run

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("folder", help="the Vitens folder (images and annotation JSON files)")
cluster_arguments(p)
p.add_argument("--project", default="Colonies", help="name of the new project")
a = p.parse_args()
run(
    from_=f"vitens:{a.folder}",
    to=a.cluster,
    ca_bundle=a.ca_bundle,
    project=a.project,
    project_type="detection",
)
