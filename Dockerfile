# spectrum-reconciler, for Kubernetes (deploy/kubernetes/): a slim Python image, the package
# installed from this repository, run as an unprivileged user on a read-only root filesystem.
#   docker build -t spectrum-reconciler:0.1.0 .
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY reconciler ./reconciler
RUN pip install --no-cache-dir --no-compile --root-user-action=ignore --prefix=/install .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin reconciler
COPY --from=build /install /usr/local
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["spectrum-reconciler"]
CMD ["--help"]
