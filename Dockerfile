# The same CLI as the composite action, for `uses: docker://…` or any CI that runs containers.
# Built from the same uv.lock as the action (every distribution pinned by hash), with uv itself
# pinned by hash (install/requirements.txt). Every mode, deploy-gate's extra included.
# The base is pinned by digest (python:3.12-slim, Debian trixie); Dependabot bumps it.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/cicd-agent \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY install/requirements.txt install/requirements.txt
RUN python -m pip install --no-cache-dir --no-deps --only-binary :all: --require-hashes \
        --root-user-action=ignore --target /opt/uv -r install/requirements.txt
# Dependencies first (their layer survives source edits), then the package itself.
COPY pyproject.toml uv.lock README.md ./
RUN /opt/uv/bin/uv sync --frozen --no-config --no-dev --no-editable --extra deploy \
        --no-install-project --python /usr/local/bin/python
COPY src ./src
RUN /opt/uv/bin/uv sync --frozen --no-config --no-dev --no-editable --extra deploy \
        --python /usr/local/bin/python
# tiktoken's encoding files, fetched now (tiktoken checks their SHA-256) so a run never
# downloads them. (DL3064 reads the TOKEN in TIKTOKEN as a secret: it is a folder.)
# hadolint ignore=DL3064
ENV TIKTOKEN_CACHE_DIR=/opt/tiktoken
RUN /opt/cicd-agent/bin/python -m cicd_agent.model.encodings --strict

FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea
# git for diffs and history; nothing else from apt.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    # The workspace is mounted from the runner and owned by another user.
    && git config --system --add safe.directory '*'
COPY --from=build /opt/cicd-agent /opt/cicd-agent
COPY --from=build /opt/tiktoken /opt/tiktoken
# No USER: GitHub runs Docker actions as the default (root) user and documents that a USER
# instruction can leave the action unable to use GITHUB_WORKSPACE.
# hadolint ignore=DL3064
ENV PATH=/opt/cicd-agent/bin:$PATH \
    TIKTOKEN_CACHE_DIR=/opt/tiktoken \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["cicd-agent"]
