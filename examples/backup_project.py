"""Download a project from a cluster to a .scz archive (media, annotations, configuration, models).

    python examples/backup_project.py --cluster my-cluster --project "Dogs" dogs.scz

--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument). An interrupted backup continues with --resume.
"""

import argparse

from scmigrate.script import cluster_arguments, run

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("archive", help="the archive to write (PATH.scz)")
cluster_arguments(p)
p.add_argument("--project", required=True, help="the project to back up")
p.add_argument("--resume", action="store_true", help="finish an interrupted backup")
a = p.parse_args()
run(
    from_=a.cluster, project=a.project, to=a.archive, ca_bundle=a.ca_bundle, with_models=True, resume=a.resume
)
