# altogic-local as a container: multi-stage, small runtime image, non-root.
#   docker build -t altogic-local .
#   docker run -p 7171:7171 -v altogic-data:/data altogic-local            # SQLite in /data
#   docker run … -e ALTOGIC_LOCAL_DATABASE_URL=postgres://… altogic-local  # PostgreSQL
# compose.yaml runs PostgreSQL, two instances and a load balancer.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p altogic-local \
 && strip target/release/altogic-local

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home altogic
COPY --from=build /src/target/release/altogic-local /usr/local/bin/altogic-local
USER altogic
WORKDIR /data
ENV ALTOGIC_LOCAL_LISTEN=0.0.0.0:7171 \
    ALTOGIC_LOCAL_DATA_DIR=/data
EXPOSE 7171
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:7171/_local/v1/ready || exit 1
ENTRYPOINT ["altogic-local"]
CMD ["serve"]
