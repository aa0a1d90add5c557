# The same CLI as the composite action, for `uses: docker://…` or any CI that runs containers.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
# git for diffs and history; nothing else from apt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    # The workspace is mounted from the runner and owned by another user.
    && git config --system --add safe.directory '*'
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# uid 1001 is the hosted runner's user, so files the step writes into the workspace stay usable.
RUN useradd --uid 1001 --create-home --shell /usr/sbin/nologin cicd
USER 1001
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["cicd-agent"]
