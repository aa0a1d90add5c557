"""Tokens and estimated cost of a run, per tier. Every request is counted, answered or not, and
every usage a response reports is recorded, failed ones included (a repair round or a cut-off
answer is billed), so the figures match the bill."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cicd_agent.model.pricing import PriceTable

Tier = Literal["model", "fast"]
"""``model`` answers decisions; ``fast`` does bulk generation on a cheaper model."""


@dataclass(kw_only=True)
class ModelUsageReport:
    """What the model cost this run: every mode reports it, offline runs report zeros."""

    provider: str = "none"
    model: str | None = None
    calls: int = 0
    """Requests sent, answered or not."""
    failed_calls: int = 0
    """Asks that ended without a usable answer (the server failed, or its answer did not fit)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated_encodings: list[str] = field(default_factory=list)
    """Encodings whose counts were estimated because tiktoken's files could not be loaded."""

    def to_json(self) -> dict[str, object]:
        """As ``--json`` and the audit record show it, in this order."""
        return {
            "provider": self.provider,
            "model": self.model,
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": float(self.cost_usd),
            "estimated_encodings": list(self.estimated_encodings),
        }

    @property
    def tokens_used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def summary_line(self) -> str:
        if self.provider == "none":
            return "Model: none (deterministic analysis only, nothing was sent to a model)."
        line = (
            f"Model: {self.model or 'the configured model'} via {self.provider}: "
            f"{self.calls} call(s){f' ({self.failed_calls} failed)' if self.failed_calls else ''}, "
            f"{self.prompt_tokens:,} tokens in, {self.completion_tokens:,} out, "
            f"about ${self.cost_usd:.4f}."
        )
        if self.estimated_encodings:  # tiktoken's files could not be loaded: rare
            from cicd_agent.model.tokens import estimated_counts_note

            line += " " + estimated_counts_note(self.estimated_encodings)
        return line


@dataclass
class TierUsage:
    """What one tier spent. ``calls`` counts requests sent, answered or not; ``failed`` asks
    that raised ModelError."""

    models: set[str] = field(default_factory=set)
    calls: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Usage:
    """The run's accumulator; safe to share between threads of one mode."""

    def __init__(self, prices: PriceTable | None = None) -> None:
        self._given_prices = prices
        self._lock = threading.Lock()
        self.tiers: dict[Tier, TierUsage] = {"model": TierUsage(), "fast": TierUsage()}
        self.estimated_encodings: set[str] = set()
        """Encodings whose tiktoken files could not be loaded: their counts are estimates."""

    def record(self, tier: Tier, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Add one request's usage, priced by the table (an unknown model costs $0). A request
        that got no completion back (an HTTP error, a timeout, a body that is no completion)
        is recorded with no tokens: it is a call all the same, and the user counts it."""
        cost = self._prices.estimate_cost(model, prompt_tokens, completion_tokens)
        with self._lock:
            spent = self.tiers[tier]
            spent.models.add(model)
            spent.calls += 1
            spent.prompt_tokens += prompt_tokens
            spent.completion_tokens += completion_tokens
            spent.cost_usd += cost

    @cached_property
    def _prices(self) -> PriceTable:
        """The given table, or the shipped one, read on the first call recorded: a run that
        calls no model never loads the price models."""
        from cicd_agent.model.pricing import PriceTable

        return self._given_prices or PriceTable()

    def record_estimated(self, encoding: str) -> None:
        """Note that counts in ``encoding`` are the over-estimate, not tiktoken's."""
        with self._lock:
            self.estimated_encodings.add(encoding)

    def record_failure(self, tier: Tier) -> None:
        """Count an ask that ended in ModelError (its responses, if any, were recorded)."""
        with self._lock:
            self.tiers[tier].failed += 1

    def priced(self, model: str) -> bool:
        """Whether a call to ``model`` is counted in :attr:`cost_usd` (an unknown model's calls
        cost $0 by the table, so a budget cannot bound them)."""
        return self._prices.price(model) is not None

    @property
    def cost_usd(self) -> float:
        """What the run has spent so far (a tool loop reads it against its own budget)."""
        return sum(t.cost_usd for t in self.tiers.values())

    def report(self, provider: str = "openai") -> ModelUsageReport:
        """The figures every mode result carries (outputs, summary, ``--json``)."""
        tiers = self.tiers.values()
        return ModelUsageReport(
            provider=provider,
            model=", ".join(sorted(set().union(*(spent.models for spent in tiers)))) or None,
            calls=sum(t.calls for t in tiers),
            failed_calls=sum(t.failed for t in tiers),
            prompt_tokens=sum(t.prompt_tokens for t in tiers),
            completion_tokens=sum(t.completion_tokens for t in tiers),
            cost_usd=self.cost_usd,
            estimated_encodings=sorted(self.estimated_encodings),
        )
