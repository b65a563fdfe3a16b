# tagguard's container image: `tagguard` is the entry point, for GitLab CI's `image:` and for
# `docker run` (README, "Container image"). .github/workflows/release.yml builds and pushes it
# on a release tag; tests/surfaces/test_release.py holds it to hadolint.
#
# The base is pinned by digest, so every build of a release gets the same Python and Debian.
# This is python:3.11-slim's multi-platform index digest as `docker pull python:3.11-slim`
# resolved it on 2026-04-30 (onyx-dot-app/onyx#10741; the same digest appears in public
# BuildKit logs resolving docker.io/library/python:3.11-slim). It was not pulled here to
# re-check: this machine reaches no container registry. To move it to a newer base:
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# and change both FROM lines and the base.digest label together (the test checks they agree).

# Build stage: the wheel from the sources, then a virtual environment with it and its
# dependencies. pip is the only thing that reaches the network here (the build backend and
# the dependencies, from PyPI); the final stage downloads nothing.
FROM python:3.11-slim@sha256:6d85378d88a19cd4d76079817532d62232be95757cb45945a99fec8e8084b9c2 AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The environment is made without pip and filled by the base image's pip (`--python`), so the
# final image carries no installer of its own.
RUN python -m pip wheel --no-deps --wheel-dir /dist . \
 && python -m venv --without-pip /opt/tagguard \
 && python -m pip --python /opt/tagguard/bin/python install /dist/tagguard-*.whl \
 && /opt/tagguard/bin/tagguard --version

# Final stage: the same base, the environment copied in, a user without privileges.
FROM python:3.11-slim@sha256:6d85378d88a19cd4d76079817532d62232be95757cb45945a99fec8e8084b9c2
# Set by the release workflow from the tag and the commit; a local build says "dev".
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tagguard" \
      org.opencontainers.image.description="Predicts exactly what Harbor's tag immutability will refuse, before a pipeline pushes, retags or deletes." \
      org.opencontainers.image.url="https://github.com/tagguard/tagguard" \
      org.opencontainers.image.source="https://github.com/tagguard/tagguard" \
      org.opencontainers.image.documentation="https://github.com/tagguard/tagguard#container-image" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim" \
      org.opencontainers.image.base.digest="sha256:6d85378d88a19cd4d76079817532d62232be95757cb45945a99fec8e8084b9c2"
# A fixed numeric id, so `runAsNonRoot` (Kubernetes runners) can verify it and `docker run
# --user` can match it; a home for docker's config (credentials) under ~/.docker.
RUN groupadd --system --gid 10001 tagguard \
 && useradd --system --uid 10001 --gid tagguard --home-dir /home/tagguard --create-home \
      --shell /usr/sbin/nologin tagguard
COPY --from=build /opt/tagguard /opt/tagguard
ENV PATH=/opt/tagguard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /work
USER 10001:10001
ENTRYPOINT ["tagguard"]
CMD ["--help"]
