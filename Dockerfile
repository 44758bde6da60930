# The kubeward image that deploy/ runs (webhook, cluster scan CronJob, node Job).
#
#   docker build -t registry.example.com/kubeward:0.1.0 .
#
# Two stages: the build (Rust toolchain, sources) and the runtime, which holds only the binary on
# distroless' glibc base: no shell, no package manager. It runs as UID/GID 65532 (distroless'
# `nonroot`, the runAsUser and runAsGroup of deploy/) and writes nothing, so it runs with
# readOnlyRootFilesystem: true (`kubeward serve` keeps its state in memory, reads its
# certificates and config from mounted volumes, and logs to standard error).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kubeward \
    && strip target/release/kubeward

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/kubeward /usr/local/bin/kubeward
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeward"]
CMD ["--help"]
