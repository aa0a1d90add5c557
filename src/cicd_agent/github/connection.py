"""What the call modules need of GitHub: typed here, not by the facade that imports them."""

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol, TypeVar

from github.Repository import Repository

from cicd_agent.github.models import WriteOutcome
from cicd_agent.github.retry import RetryPolicy

T = TypeVar("T")
Status = Literal["created", "updated"]
Method = Literal["POST", "PATCH", "PUT", "DELETE"]
Body = Mapping[str, Any]


class Connection(Protocol):
    repository: Repository
    repo_path: str
    retry: RetryPolicy
    timeout_seconds: int

    @property
    def own_login(self) -> str | None: ...
    def read(self, action: str, call: Callable[[], T]) -> T: ...
    def redirect_location(self, action: str, path: str) -> str: ...
    def _send(
        self, what: str, method: Method, path: str, body: Body, *, status: Status
    ) -> WriteOutcome: ...
