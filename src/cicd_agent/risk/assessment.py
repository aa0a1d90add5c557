"""What a risk assessment says: the score and level, the measured features and the reasons,
the one shape review, deploy-gate and the audit share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.file_names import escaped, has_control_characters
from cicd_agent.analysis.scale import RiskLevel


def _one_line(message: str) -> str:
    """A reason's sentence on one line: the names it quotes are the pull request's (a
    dependency a manifest names, a file's), and one holding a newline or a bidi override is
    shown escaped, never as lines (a heading, a table) of the summary or the comment."""
    return escaped(message) if has_control_characters(message) else message


@dataclass(frozen=True, kw_only=True)
class Reason:
    """Why the risk is what it is: the signal, a sentence and the evidence it rests on (each
    held on one line, a name git could not decode escaped)."""

    signal: str
    message: str
    evidence: list[str] = field(default_factory=list)
    points: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", _one_line(self.message))
        object.__setattr__(self, "evidence", [_one_line(item) for item in self.evidence])
        object.__setattr__(self, "points", float(self.points))

    def to_json(self) -> dict[str, object]:
        """As ``--json`` and the audit record show it, in this order."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class RiskFeatures:
    """The measured features (Kamei et al. names in comments), kept for the audit and the model."""

    lines_added: int  # LA
    lines_deleted: int  # LD
    files: int  # NF
    directories: int  # ND
    subsystems: int  # NS
    entropy: float  # Entropy, normalised to [0, 1] by log2(NF)
    fix: bool  # FIX
    new_files: int
    deleted_files: int
    renamed_files: int
    binary_files: int
    submodules: int
    commits: int
    past_changes: int | None = None  # NUC
    developers: int | None = None  # NDEV
    mean_age_days: float | None = None  # AGE
    past_fixes: int | None = None
    past_reverts: int | None = None
    author_experience: int | None = None  # EXP
    recent_experience: float | None = None  # REXP
    subsystem_experience: int | None = None  # SEXP

    def __post_init__(self) -> None:
        object.__setattr__(self, "entropy", float(self.entropy))
        object.__setattr__(self, "mean_age_days", _float_or_none(self.mean_age_days))
        object.__setattr__(self, "recent_experience", _float_or_none(self.recent_experience))

    def to_json(self) -> dict[str, object]:
        """As ``--json``, the audit record and the model's prompt show them, in this order."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class RiskAssessment:
    """The deterministic verdict every mode shares."""

    risk_score: float
    risk_level: RiskLevel
    change_types: list[ChangeType]
    reasons: list[Reason]
    features: RiskFeatures
    hold_reasons: list[str] = field(default_factory=list)
    """Findings that stop a deployment whatever the policy says (an added secret)."""
    risk_quantile: float | None = None
    """The share of the repository's recent past commits the fit ranks below this change
    (None: scored by the priors); the level is read from it before any floor or ceiling."""
    identity: str = ""
    """Whose experience counted: an identity GitHub vouches for, or git's text (raise only)."""
    arithmetic: str = ""
    """How the reasons' points make ``risk_score``, in one sentence a reader can check: the
    sum and the formula (priors), or the rank it is read from (a fit), then any floor or
    ceiling that moved it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "risk_score", float(self.risk_score))
        object.__setattr__(self, "risk_quantile", _float_or_none(self.risk_quantile))
        for name in ("change_types", "reasons", "hold_reasons"):
            object.__setattr__(self, name, list(getattr(self, name)))


def _float_or_none(value: float | None) -> float | None:
    """A float field's value as a float (a count computed as an int stays a float in JSON)."""
    return None if value is None else float(value)
