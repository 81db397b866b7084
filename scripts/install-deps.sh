#!/usr/bin/env bash
# Installs what building and testing eventbarrier needs: Debian packages, and the
# Python AWS test tools (moto's server, cfn-lint, boto3, the AWS CLI v1, which
# honours AWS_ENDPOINT_URL) where no Debian package has them: kept if a python3
# already imports them (scripts/aws-python.sh), else pip-installed into a virtual
# environment. Idempotent and quiet when everything is already there; run as root
# (CI is) or via sudo.
set -euo pipefail
PKGS=(build-essential cmake pkg-config ninja-build
      libssl-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev clang-format
      python3 python3-botocore python3-yaml awscli zip unzip patchelf curl uuid-runtime rsync
      chromium fonts-dejavu-core)
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
  ARM64_PKGS=(crossbuild-essential-arm64 qemu-user-static libssl-dev:arm64 libcpp-httplib-dev:arm64)
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
