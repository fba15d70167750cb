#!/usr/bin/env bash
# Installs the Debian packages vigil builds, tests and benchmarks with, when
# any is missing. Runs apt-get only as root; otherwise says what to install.
set -euo pipefail
build_pkgs=(gcc make pkg-config clang libzstd-dev libxxhash-dev zlib1g-dev libsodium-dev
	libpcre2-dev libcjson-dev libyaml-dev libcmocka-dev zstd gzip python3 curl
	libsqlite3-dev libmicrohttpd-dev libgeoip-dev geoip-database libmaxminddb-dev librelp-dev
	tzdata syslog-ng-core syslog-ng-mod-http)
missing=()
for p in "${build_pkgs[@]}" ${VIGIL_EXTRA_PKGS:-}; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "vigil needs these Debian packages: ${missing[*]}" >&2
	echo "install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
