"""Upload a .scz archive to a cluster as a new project (media, annotations, configuration).

Trained models stay in the archive: clusters accept no model upload (the summary counts them as skipped).

    python examples/restore_project.py dogs.scz --cluster other-cluster [--project "Dogs (restored)"]

--cluster is a configured cluster name (`scmigrate clusters add`) or https://HOST with the token in
$SCMIGRATE_TOKEN (a token is never an argument). An interrupted restore continues with --resume.
"""

import argparse

from scmigrate.script import cluster_arguments, run

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("archive", help="the archive to restore (PATH.scz)")
cluster_arguments(p)
p.add_argument("--project", help="name of the new project (default: the archived project's name)")
p.add_argument("--resume", action="store_true", help="finish an interrupted restore")
a = p.parse_args()
run(
    from_=a.archive, to=a.cluster, project=a.project, ca_bundle=a.ca_bundle, with_models=True, resume=a.resume
)
