# yishi in a container: a static binary on a distroless base.
#   docker build -t yishi .
#   docker run -p 8080:8080 -v yishi-data:/data yishi serve --demo
# compose.yaml builds this image and points it at KurrentDB.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/yishi ./cmd/yishi \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/yishi /usr/local/bin/yishi
# The embedded store's directory, owned by the nonroot user so that a named
# volume mounted here is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV YISHI_ADDR=0.0.0.0:8080 \
    YISHI_DATA=/data
EXPOSE 8080
VOLUME /data
USER nonroot
ENTRYPOINT ["/usr/local/bin/yishi"]
CMD ["serve"]
