"""COCO → a detection→segmentation pipeline: "dog" boxes, and "dog shape" polygons in them.

    python examples/coco_dog_pipeline.py coco/annotations/instances_default.json --cluster my-cluster

--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument).
Images without a dog are left out; each dog gets a box and its outline.
"""

import argparse

from scmigrate.script import cluster_arguments, run

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("annotations", help="the COCO instances JSON")
p.add_argument("--images", help="folder of the images (default: images/ next to annotations/)")
cluster_arguments(p)
p.add_argument("--project", default="COCO dog pipeline", help="name of the new project")
a = p.parse_args()
run(
    from_=f"coco:{a.annotations}",
    images=a.images,
    to=a.cluster,
    ca_bundle=a.ca_bundle,
    project=a.project,
    project_type="detection_to_segmentation",
    labels="dog",
)
