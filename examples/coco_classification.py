"""COCO → a classification project on a cluster with the labels "dog" and "car".

    python examples/coco_classification.py coco/annotations/instances_default.json --cluster my-cluster

--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument).
Images with neither a dog nor a car are left out; an image with both gets both labels.
"""

import argparse

from scmigrate.script import cluster_arguments, run

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("annotations", help="the COCO instances JSON")
p.add_argument("--images", help="folder of the images (default: images/ next to annotations/)")
cluster_arguments(p)
p.add_argument("--project", default="COCO dogs and cars", help="name of the new project")
a = p.parse_args()
run(
    from_=f"coco:{a.annotations}",
    images=a.images,
    to=a.cluster,
    ca_bundle=a.ca_bundle,
    project=a.project,
    project_type="classification",
    labels="dog,car",
)
