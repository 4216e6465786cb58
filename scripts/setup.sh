#!/usr/bin/env bash
# Sets up a Debian 12 machine for cordon and builds it: installs every Debian package
# that the build, the tests and the benchmarks need, then configures and builds into
# build/. Idempotent: packages already present are not fetched again, and a second run
# only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake g++ pkg-config   # the toolchain
  libgtest-dev nlohmann-json3-dev        # tests, JSON
  libseccomp-dev                         # seccomp profiles
  libsqlitecpp-dev libsqlite3-dev        # the daemon's state
  libtomlplusplus-dev                    # the daemon's configuration
  openssl libssl-dev                     # TLS for the API; openssl makes the tests' certificates
  libboost1.81-dev                       # the API's HTTP server (Boost.Beast and Asio)
  libcurl4-openssl-dev                   # the HTTP client: cordon-client (cordon job|tenant), tests
  zlib1g-dev                             # .tar.gz uploads (src/archive/gzip.cc), static
  libarchive-dev                         # image layers (src/image_io/): cordon-image only
  btrfs-progs libbtrfsutil-dev           # instances' disks (src/instance/): mkfs.btrfs, subvolumes
  libnftables-dev nftables               # --net egress: the host's rules (src/net/); nft for the tests
  libnl-3-dev libnl-route-3-dev          # --net egress: veth pairs, addresses, routes, tc (src/net/)
  libldns-dev                            # --net egress: cordon's resolver parses DNS with ldns
  dnsmasq-base                           # tests/integration: the simulated world's DNS server
  python3-pip                            # tests/integration: pip install from the simulated index
  busybox-static                         # test images
  mmdebstrap zstd                        # tests/images/debian12.sh: the Debian 12 test image
  docker-registry                        # tests/registry: the local OCI registry image pulls are tested against
  skopeo                                 # tests/registry: pushes the test images into it
  bubblewrap                             # the benchmark's peer
  python3                                # bench/ scripts
  libpython3.11-testsuite                # tests/compat: CPython's own tests, host vs sandbox
  nodejs                                 # tests/openapi: the API document's linter
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The OpenAPI linter, from npm, at the versions its lock file pins (again only when the
# lock file changed). Debian's npm unless Node.js came with its own.
command -v npm >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends npm >/dev/null
if [ ! tests/openapi/node_modules/.package-lock.json -nt tests/openapi/package-lock.json ]; then
  (cd tests/openapi && npm ci --no-audit --no-fund --silent)
fi

# The cgroup v2 tests boot Debian's cloud kernel under QEMU: install QEMU and fetch the
# kernel now rather than inside the test's time budget. Exit 77: this host cannot run the
# guest, and the test will say it is skipped.
tests/vm/setup.sh >/dev/null || [ $? -eq 77 ]

# The Debian 12 image the tests use (tests/images/debian12.sh), built once from the mirror
# into /var/cache/cordon-tests (again only when the script changes). Exit 69: the mirror
# cannot be reached; setup goes on and the tests that need the image skip.
as_root tests/images/debian12.sh >/dev/null || case $? in
  69) echo "setup: no Debian 12 test image (the mirror cannot be reached): the tests that need it will skip" >&2 ;;
  *) echo "setup: building the Debian 12 test image failed (tests/images/debian12.sh, above); the tests need it" >&2; exit 1 ;;
esac

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/cmd/cordon, cordon-client and cordon-image"
