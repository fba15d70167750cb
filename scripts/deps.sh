#!/usr/bin/env bash
# Installs the Debian packages vigil builds, tests and benchmarks with, when
# any is missing. Runs apt-get only as root; otherwise says what to install.
set -euo pipefail
build_pkgs=(gcc make pkg-config clang libzstd-dev libxxhash-dev zlib1g-dev libsodium-dev
	libpcre2-dev libcjson-dev libyaml-dev libcmocka-dev zstd gzip python3 curl
	libsqlite3-dev libmicrohttpd-dev libgeoip-dev geoip-database libmaxminddb-dev librelp-dev
	libcurl4-openssl-dev
	libgnutls28-dev openssl tzdata syslog-ng-core syslog-ng-mod-http syslog-ng-scl libestr0 libfastjson4 liblognorm5 librelp0)
missing=()
for p in "${build_pkgs[@]}" ${VIGIL_EXTRA_PKGS:-}; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# rsyslog, for the tests with real shippers: its Debian package conflicts with
# syslog-ng's, so it is unpacked (not installed) into $RSYSLOG_ROOT.
RSYSLOG_ROOT=${RSYSLOG_ROOT:-/opt/vigil-peers/rsyslog}
unpack_rsyslog() {
	[ -x "$RSYSLOG_ROOT/usr/sbin/rsyslogd" ] && return 0
	[ "$(id -u)" -eq 0 ] || { echo "rsyslog for the tests: run scripts/deps.sh as root" >&2; return 0; }
	local t
	t=$(mktemp -d)
	(cd "$t" && apt-get download rsyslog rsyslog-relp >/dev/null 2>&1) || { rm -rf "$t"; return 0; }
	mkdir -p "$RSYSLOG_ROOT"
	for d in "$t"/*.deb; do dpkg -x "$d" "$RSYSLOG_ROOT"; done
	rm -rf "$t"
}
if [ ${#missing[@]} -eq 0 ]; then
	unpack_rsyslog
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "vigil needs these Debian packages: ${missing[*]}" >&2
	echo "install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
unpack_rsyslog
