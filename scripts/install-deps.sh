#!/usr/bin/env bash
# Installs what building and testing eventbarrier needs, from Debian packages only.
# Idempotent and quiet when everything is already there; run as root (CI is) or via sudo.
set -euo pipefail
PKGS=(build-essential cmake pkg-config ninja-build
      libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev clang-format
      python3 python3-botocore python3-yaml awscli zip unzip patchelf curl uuid-runtime)
# npm installs the CloudFormation resource specification the deployment tests
# check the template against (tests/deploy/fetch_spec.sh); a NodeSource nodejs
# already carries npm, and Debian's npm package would conflict with it.
command -v npm >/dev/null || PKGS+=(npm)
if [ "${EVENTBARRIER_WITH_CEPH:-1}" = 1 ]; then PKGS+=(ceph-mon ceph-osd radosgw ceph-common); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
