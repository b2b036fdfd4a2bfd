#!/bin/sh
# Install the Debian 12 packages l2tpd needs to build and test, only those
# missing. Idempotent and quiet when everything is present.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --check    exit 1 if anything is missing, install nothing
set -eu

PACKAGES="
build-essential cmake pkg-config clang libclang-rt-14-dev
nettle-dev libev-dev libinih-dev libjson-c-dev libcmocka-dev liburing-dev
tshark valgrind iproute2 iputils-ping iperf3 python3 xl2tpd l2tpns freeradius freeradius-utils
gnuplot-nox
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "missing Debian packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: need root to install:$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

# The tests run xl2tpd, l2tpns and FreeRADIUS themselves, inside network namespaces
# of their own, and never use the system services. Those would listen on the
# host (FreeRADIUS on every address, xl2tpd and l2tpns on UDP 1701), so the ones just
# installed are stopped and disabled, with or without systemd as init.
for svc in freeradius l2tpns xl2tpd; do
	case " $missing " in *" $svc "*) ;; *) continue ;; esac
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	else
		if command -v service >/dev/null; then
			service "$svc" stop >/dev/null 2>&1 || true
		fi
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
		if command -v systemctl >/dev/null; then
			systemctl disable "$svc" >/dev/null 2>&1 || true
		fi
	fi
done
