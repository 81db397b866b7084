#!/usr/bin/env bash
# Installs what building and testing eventbarrier needs: Debian packages, and the
# Python AWS test tools (moto's server, cfn-lint, boto3, the AWS CLI v1, which
# honours AWS_ENDPOINT_URL) where no Debian package has them: kept if a python3
# already imports them (scripts/aws-python.sh), else pip-installed into a virtual
# environment. Idempotent and quiet when everything is already there; run as root
# (CI is) or via sudo.
set -euo pipefail
PKGS=(build-essential cmake pkg-config ninja-build
      libssl-dev nlohmann-json3-dev libcli11-dev dpkg-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev clang-format
      python3 python3-botocore python3-yaml awscli zip unzip patchelf curl uuid-runtime rsync
      chromium fonts-dejavu-core)
# chromium (Debian's, headless) loads the status page in tests/cli/status_page_browser_test.sh.
# npm installs the CloudFormation resource specification the deployment tests
# check the template against (tests/deploy/fetch_spec.sh); a NodeSource nodejs
# already carries npm, and Debian's npm package would conflict with it.
command -v npm >/dev/null || PKGS+=(npm)
if [ "${EVENTBARRIER_WITH_CEPH:-1}" = 1 ]; then PKGS+=(ceph-mon ceph-osd radosgw ceph-common); fi
# The arm64 Lambda zip cross-built on x86_64 (make package ARCH=arm64; tests/lambda's
# arm64 test): Debian's cross toolchain, the arm64 libraries (multiarch) and qemu-user.
# EVENTBARRIER_WITH_ARM64=0 leaves them out.
ARM64_PKGS=()
if [ "$(uname -m)" = x86_64 ] && { [ "${EVENTBARRIER_WITH_ARM64:-1}" = 1 ] ||
     [ "${EB_ARCH:-}" = aarch64 ]; }; then
  ARM64_PKGS=(crossbuild-essential-arm64 qemu-user-static libssl-dev:arm64)
  PKGS+=("${ARM64_PKGS[@]}")
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  if [ ${#ARM64_PKGS[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# cpp-httplib, the one HTTP library (src/http), compiled into the binary: Debian's binary
# package ships it only as a shared library (linking libstdc++.so and Brotli) with a
# declaration-only header, so the single header comes from Debian's source package
# (`apt-get source`, Debian's patches applied) into $HTTPLIB_DIR, where CMake looks
# (EB_HTTPLIB_DIR). Needs deb-src entries: derived from the Debian/Ubuntu deb entries when
# apt has none. Same header for every architecture (make package ARCH=arm64).
HTTPLIB_DIR="${EB_HTTPLIB_DIR:-/opt/eventbarrier/cpp-httplib}"
if [ ! -f "$HTTPLIB_DIR/httplib.h" ]; then
  if ! apt-get source --print-uris cpp-httplib >/dev/null 2>&1; then
    echo "install-deps: enabling Debian source packages (deb-src) for cpp-httplib" >&2
    src_list=/etc/apt/sources.list.d/eventbarrier-deb-src.sources
    { for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources; do
        if [ -f "$f" ]; then sed -E 's/^Types:.*/Types: deb-src/' "$f"; echo; fi
      done
      if [ -f /etc/apt/sources.list ]; then
        { grep -E '^deb[[:space:]]' /etc/apt/sources.list || true; } | { grep -E 'debian|ubuntu' || true; } |
          sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+)[[:space:]]+(\S+)[[:space:]]+(.*)$/\nTypes: deb-src\nURIs: \2\nSuites: \3\nComponents: \4\n/'
      fi; } | $SUDO tee "$src_list.new" >/dev/null
    $SUDO mv "$src_list.new" "$src_list"
    $SUDO apt-get update -qq
  fi
  work=$(mktemp -d)
  (cd "$work" && chmod 0755 . && apt-get source -qq cpp-httplib >/dev/null 2>&1) ||
    { echo "install-deps: apt-get source cpp-httplib failed" >&2; exit 1; }
  header=$(ls "$work"/cpp-httplib-*/httplib.h)
  $SUDO mkdir -p "$HTTPLIB_DIR"
  $SUDO cp "$header" "$(dirname "$header")/LICENSE" "$HTTPLIB_DIR/"
  ls "$work" | sed -n 's/\.dsc$//p' | $SUDO tee "$HTTPLIB_DIR/SOURCE" >/dev/null
  rm -rf "$work"
fi

# The AWS test tools (tests/deploy, tests/actions): pinned to the versions the tests
# were written against. Not fatal here: without them those tests fail under CI=true
# and skip, saying why, elsewhere.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! bash "$HERE/aws-python.sh" >/dev/null; then
  VENV="${EB_AWS_VENV:-/opt/eventbarrier/aws-venv}"
  echo "install-deps: no python3 with moto, cfn-lint, boto3 and awscli; pip into $VENV" >&2
  dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" || { $SUDO apt-get update -qq;
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; }
  $SUDO mkdir -p "$(dirname "$VENV")"
  { $SUDO /usr/bin/python3 -m venv "$VENV" &&
    $SUDO "$VENV/bin/pip" install -q "moto[server]==5.2.1" "cfn-lint==1.51.0" "boto3==1.43.11" \
      "awscli==1.45.11"; } ||
    echo "install-deps: WARNING: could not install the AWS test tools into $VENV" >&2
fi
