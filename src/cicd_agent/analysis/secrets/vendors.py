"""Vendor token formats the upstream rule sets here do not name alone: each a prefix the vendor
documents for its keys, then the key's characters. Redaction only: the prefix marks the value
as the vendor's credential, so a placeholder after it (``hvb.aaaa…``) goes too, harmlessly.
Written from the vendors' own documentation of their key formats; no pattern of trufflehog's
(AGPL-3.0) is used. Each rule starts at its prefix (``anchored``), so it is tried only where
the prefix occurs, and no rule has a nested or overlapping repeat: linear on any text."""

from __future__ import annotations

from cicd_agent.analysis.secrets.rule import Rule

_START = r"(?<![\w.+/-])"
"""Not inside a longer word, path or base64 run."""
_UUID = r"[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}"


def _vendor(kind: str, pattern: str, *prefixes: str) -> Rule:
    """A token that starts with one of ``prefixes``, spelled as the vendor spells them."""
    return Rule(
        kind,
        _START + pattern,
        tuple(prefix.lower() for prefix in prefixes),
        anchored=True,
        redaction_only=True,
        cased=prefixes,
    )


VENDOR_RULES = (
    # Atlassian: API tokens start ATATT3xFfG (Atlassian Cloud "Manage API tokens"), app
    # passwords ATBB (Bitbucket Cloud "App passwords"), Bitbucket Data Center HTTP access
    # tokens BBDC- ("HTTP access tokens").
    _vendor("Atlassian API token", r"A[A-Z]{2}TT3xFfG[\w=+/-]{20,}", "ATATT3xFfG", "ATCTT3xFfG"),
    _vendor("Bitbucket app password", r"ATBB[A-Za-z0-9_-]{12,}", "ATBB"),
    _vendor("Bitbucket Data Center token", r"BBDC-[A-Za-z0-9+/=_-]{30,}", "BBDC-"),
    # Airtable personal access tokens: pat, a 14-character id, a dot, 64 hex ("Personal access
    # tokens"); gitleaks' rule looks for them only beside the word "airtable".
    _vendor("Airtable access token", r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b", "pat"),
    # AWS AppSync API keys: da2- and 26 characters (AppSync "Authorization and authentication").
    _vendor("AWS AppSync API key", r"da2-[a-z0-9]{26}\b", "da2-"),
    # Microsoft identity platform refresh tokens: a version digit, ".A", base64url sections.
    _vendor(
        "Microsoft refresh token",
        r"[01]\.A[\w-]{40,}\.(?:1\.)?A[\w-]{20,}",
        "0.A",
        "1.A",
    ),
    # HubSpot private app access tokens: pat-<region>-<uuid> ("Private apps").
    _vendor("HubSpot access token", r"pat-(?:na|eu|ap)\d-" + _UUID + r"\b", "pat-"),
    # HashiCorp Vault tokens: hvs. service, hvb. batch, hvr. recovery ("Tokens", token prefixes).
    _vendor("Vault token", r"hv[sbr]\.[A-Za-z0-9_-]{24,}", "hvs.", "hvb.", "hvr."),
    # New Relic keys ("New Relic API keys"): user keys NRAK-, insights insert keys NRII-,
    # browser keys NRBR-, license keys 40 characters ending NRAL, mobile tokens ending -NRMA.
    _vendor(
        "New Relic key", r"NR(?:AK|II|BR|JS)-[A-Za-z0-9_-]{19,}", "NRAK-", "NRII-", "NRBR-", "NRJS-"
    ),
    Rule(
        "New Relic license key",
        r"(?<![\w-])[a-z0-9]{32,36}(?:FFFF)?NRAL\b|(?<![\w-])AA[a-z0-9]{40}-NRMA\b",
        ("nral", "nrma"),
        redaction_only=True,
        cased=("NRAL", "NRMA"),
    ),
    # PubNub subscribe and publish keys: sub-c- / pub-c- and a UUID ("Keysets").
    _vendor("PubNub key", r"(?:sub|pub|sec)-c-" + _UUID + r"\b", "sub-c-", "pub-c-", "sec-c-"),
    # Salesforce connected apps: consumer keys start 3MVG9, refresh tokens 5Aep861 (the
    # examples in Salesforce's OAuth documentation).
    _vendor("Salesforce OAuth key", r"(?:3MVG9|5Aep861)[\w.]{50,}", "3MVG9", "5Aep861"),
    # SendGrid API keys: SG.<id>.<secret> ("API keys").
    _vendor("SendGrid API key", r"SG\.[\w-]{16,32}\.[\w-]{30,50}", "SG."),
    # Sentry auth tokens: sntrys_ organisation, sntryu_ user ("Auth tokens").
    _vendor("Sentry token", r"sntry[su]_[A-Za-z0-9+/=_]{30,}", "sntrys_", "sntryu_"),
    # Square access tokens: EAAA and 60 characters ("Access tokens and other credentials").
    _vendor("Square access token", r"EAAA[\w=+-]{56,}", "EAAA"),
    # Typeform personal tokens tfp_ ("Personal access token"), xAI keys xai- ("API keys"),
    # CircleCI personal and project tokens CCIPAT_ / CCIPRJ_ ("Managing API tokens"),
    # Contentful personal access tokens CFPAT- ("Personal access tokens").
    _vendor("Typeform token", r"tfp_[A-Za-z0-9_-]{40,}", "tfp_"),
    _vendor("xAI key", r"xai-[A-Za-z0-9]{60,}", "xai-"),
    _vendor("CircleCI token", r"CCIP(?:AT|RJ)_[A-Za-z0-9_]{30,}", "CCIPAT_", "CCIPRJ_"),
    _vendor("Contentful token", r"CFPAT-[A-Za-z0-9_-]{40,}", "CFPAT-"),
    # Fly.io tokens: "FlyV1 fm2_…", a macaroon list ("fly tokens").
    _vendor("Fly.io token", r"FlyV1 fm[12][ar]?_[A-Za-z0-9+/=,_-]{20,}", "FlyV1 fm"),
    # LaunchDarkly API access tokens: api- and a UUID ("API access tokens").
    _vendor("LaunchDarkly access token", r"api-" + _UUID + r"\b", "api-"),
    # A Power Automate workflow URL (Teams' new incoming webhooks): its sig= is the key.
    Rule(
        "webhook URL",
        r"https://[\w-]+(?:\.[\w-]+)*\.environment\.api\.powerplatform\.com(?::\d+)?"
        r"/powerautomate/automations/direct/workflows/[^\s'\"<>]+",
        ("https://",),
        redaction_only=True,
        anchored=True,
    ),
    # Azure App Configuration connection strings ("Access keys"): Secret= is the key.
    Rule(
        "Azure App Configuration connection string",
        r"Endpoint=https://[\w.-]+\.azconfig\.io;Id=[^;\s]+;Secret=[A-Za-z0-9+/=]{20,}",
        ("endpoint=",),
        redaction_only=True,
        anchored=True,
    ),
)
