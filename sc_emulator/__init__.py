"""sc_emulator: a local SC / Intel Geti compatible cluster (REST API of ``docs/rest-api.md``).

``sc-emulator serve --data-dir D`` from the shell, or from Python::

    with sc_emulator.running(tmp_path, tls=True) as cluster:
        cluster.url, cluster.token, cluster.ca_bundle, cluster.org_id, cluster.workspace_id

It shares no code with scmigrate: it exists to catch the client's mistakes, not to repeat them.
"""

from .client import AdminClient, RunningEmulator, running

__all__ = ["running", "RunningEmulator", "AdminClient"]
