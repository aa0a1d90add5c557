"""The scripted metric store (``store``) and the real ones Debian ships (InfluxDB,
VictoriaMetrics, Graphite: started once per session) for the canary source tests."""

from tests.harness.metric_servers import graphite_server, influxdb_server, victoria_server
from tests.helpers.metric_store import store

__all__ = ["graphite_server", "influxdb_server", "store", "victoria_server"]
