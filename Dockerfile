# Renda's image: the wheel in a virtual environment (/opt/renda) on Debian bookworm's own Python
# 3.11, with the Chinese font the printable sheets use, run as an unprivileged user. No compiler,
# pip or uv in the final image. scripts/image builds the same root filesystem from Debian packages
# where no registry is reachable, and runs the service from it (see README).
#
#   docker build -t renda:0.1.0 .
#   docker run --rm -e RENDA_DATABASE_URL=… renda:0.1.0 migrate      # then: serve | worker | scheduler
ARG DEBIAN=bookworm

FROM debian:${DEBIAN}-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --no-cache-dir uv
WORKDIR /src
COPY pyproject.toml setup.py requirements.lock ./
COPY src ./src
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps -w /dist .
# The wheel's declared dependencies at the versions of requirements.lock (no test tools), compiled
# to bytecode: the pods' root filesystem is read-only.
RUN python3 -m venv --without-pip /opt/renda \
 && /opt/build/bin/uv pip install --no-cache --compile-bytecode --python /opt/renda/bin/python \
      /dist/renda-*.whl -c requirements.lock

FROM debian:${DEBIAN}-slim
COPY infra/image/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && grep -v '^#' /tmp/runtime-packages | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
RUN groupadd --gid 10001 renda \
 && useradd --uid 10001 --gid renda --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin renda
COPY --from=build /opt/renda /opt/renda
COPY infra/image/healthcheck.py /opt/renda/healthcheck.py
ENV PATH=/opt/renda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RENDA_HOST=0.0.0.0 \
    RENDA_PORT=8000
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["/opt/renda/bin/python", "/opt/renda/healthcheck.py"]
ENTRYPOINT ["renda"]
CMD ["serve"]
