"""Amazon CloudWatch's ``GetMetricData`` over its JSON protocol (``POST /`` with ``X-Amz-Target:
GraniteServiceVersion20100801.GetMetricData``), signed with Signature Version 4.

The query is a CloudWatch metric math or Metrics Insights expression, e.g. ``SELECT
AVG(TargetResponseTime) FROM SCHEMA("AWS/ApplicationELB", TargetGroup) WHERE TargetGroup =
'targetgroup/checkout-{track}/abc'``, read at the call's step as its period. ``options.region``
is required; ``url`` defaults to ``https://monitoring.REGION.amazonaws.com``. Credentials:
``secrets: {access_key_id: AWS_ACCESS_KEY_ID, secret_access_key: AWS_SECRET_ACCESS_KEY}``, and
``session_token: AWS_SESSION_TOKEN`` for a role's (OIDC) keys.

The signature is the stdlib's HMAC-SHA256 in the ~25 lines of :func:`sign`, tried against the
test vectors AWS publishes, rather than botocore (tens of MB, a second HTTP stack) for one call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlsplit

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Series,
    SourceError,
    answered,
    checked_url,
    display_url,
    fetcher_for,
    points,
    shape_error,
    url_of,
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

DEFAULT_URL = "https://monitoring.{region}.amazonaws.com/"
_ROLES = frozenset({"access_key_id", "secret_access_key", "session_token"})
_TARGET = "GraniteServiceVersion20100801.GetMetricData"
_REFUSED = ("Signature", "UnrecognizedClient", "Token", "AccessDenied")
"""Error types (``__type``) that say the credentials were refused, whatever the status."""


def sign(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    key: tuple[str, str],
    region: str,
    service: str,
    when: datetime,
) -> dict[str, str]:
    """``headers`` plus ``host``, ``x-amz-date`` and the SigV4 ``Authorization`` for this request
    (``key``: the access key id and secret); every header given is signed."""
    parts = urlsplit(url)
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = parts.hostname or ""
    host += f":{parts.port}" if parts.port else ""
    signed = {**headers, "host": host, "x-amz-date": stamp}
    lowered = {k.lower(): " ".join(str(v).split()) for k, v in signed.items()}
    names = sorted(lowered)
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(parts.query)
    )
    canonical = "\n".join(
        [method, quote(parts.path or "/", safe="/-_.~"), "&".join(f"{k}={v}" for k, v in pairs)]
        + [f"{name}:{lowered[name]}" for name in names]
        + ["", ";".join(names), hashlib.sha256(body).hexdigest()]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    secret = ("AWS4" + key[1]).encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        secret = hmac.new(secret, part.encode(), hashlib.sha256).digest()
    text = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}".encode()
    signature = hmac.new(secret, text, hashlib.sha256).hexdigest()
    return {
        **signed,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key[0]}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}",
    }


class CloudWatchSource:
    """``GetMetricData`` reads from one region."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.region = str(settings.options.get("region", ""))
        if (
            not self.region
            or not self.region.replace("-", "").isascii()
            or not self.region.replace("-", "").isalnum()
        ):
            raise UsageError("source cloudwatch needs options.region (e.g. eu-west-1).")
        if not {"access_key_id", "secret_access_key"} <= set(secrets):
            raise UsageError(
                "source cloudwatch needs secrets access_key_id and secret_access_key (e.g. "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."
            )
        self.url = checked_url(url_of(settings, DEFAULT_URL), "source cloudwatch's url")
        self.shown = display_url(self.url)
        self.key = (secrets["access_key_id"], secrets["secret_access_key"])
        self.token = secrets.get("session_token")
        self.fetcher = fetcher_for(
            settings, secrets, roles=_ROLES, options=frozenset({"region"}), shown=self.shown
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """The expression ``query`` between ``start`` and ``end`` at a period of ``step``."""
        window(start, end, step)
        period = max(60, int(step) // 60 * 60) if step >= 60 else max(1, int(step))
        asked = {
            "MetricDataQueries": [
                {"Id": "q", "Expression": query, "Period": period, "ReturnData": True}
            ],
            "StartTime": int(start),
            "EndTime": int(end),
            "ScanBy": "TimestampAscending",
        }
        body = json.dumps(asked).encode()
        headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": _TARGET}
        if self.token:
            headers["x-amz-security-token"] = self.token
        headers = sign(
            "POST",
            self.url,
            body,
            headers,
            key=self.key,
            region=self.region,
            service="monitoring",
            when=datetime.now(UTC),
        )
        status, answer = self.fetcher.get_json(self.url, {}, post=body, headers=headers)
        kind = str(answer.get("__type", "")) if isinstance(answer, dict) else ""
        if status != 200 and any(word in kind for word in _REFUSED):
            raise SourceError(
                f"the metric store at {self.shown} refused the credentials (HTTP {status})."
            )
        answered(status, self.shown, query, answer.get("message") if kind else None)
        results = answer.get("MetricDataResults") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise shape_error(self.shown, "MetricDataResults (GetMetricData's answer)")
        found = []
        for item in results:
            if not isinstance(item, dict):
                raise shape_error(self.shown, "a metric data result")
            stamps, values = item.get("Timestamps"), item.get("Values")
            if not isinstance(stamps, list) or not isinstance(values, list):
                raise shape_error(self.shown, "a result's Timestamps and Values")
            if len(stamps) != len(values):
                raise shape_error(self.shown, "as many Values as Timestamps")
            times, numbers = points(
                [list(pair) for pair in zip(stamps, values, strict=True)], self.shown
            )
            found.append(Series({"label": str(item.get("Label", ""))}, times, numbers))
        return found


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> CloudWatchSource:
    """The source the configuration's ``source: {type: cloudwatch, secrets, options}`` names."""
    return CloudWatchSource(settings, secrets)
