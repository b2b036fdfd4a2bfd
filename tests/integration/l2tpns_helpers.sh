# shellcheck shell=bash
# tests/integration/l2tpns_helpers.sh: FreeRADIUS and l2tpns (Debian's
# packages) as the peers of interop tests, sourced after lib.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/l2tpns_helpers.sh"
#	ns_create lns
#	radius_start lns alice wonderland     # FreeRADIUS on lns's 127.0.0.1
#	l2tpns_start lns 10.204.1.2           # l2tpns on 10.204.1.2:1701
#	...
#	l2tpns_stop; radius_stop
#
# Both run inside a namespace the test made, from a configuration in the
# test's temp dir, in the foreground, and are recorded with start_bg, so
# lib.sh's cleanup stops them and prints their logs when the test fails.
# Nothing of the host's own configuration or services is used or changed:
# if the packages started system services on installation, those are the
# host's business (scripts/deps.sh stops them) and no test talks to them.
#
# What we learned about the two programs, and why the configuration below
# looks the way it does:
#
# FreeRADIUS 3 (freeradius -X -d DIR): a copy of /etc/freeradius/3.0 with
#   raddbdir pointed at the copy (the modules find their files through it),
#   no "user/group" (it would drop to freerad, which cannot read our temp
#   dir), no proxy listener (it binds 0.0.0.0 otherwise), no reject delay
#   (each Access-Reject would cost 1 s), only the modules a PAP/CHAP check
#   needs, and one virtual server listening on 127.0.0.1:1812 only.
#   -X keeps it in the foreground, single-threaded, and logs every request.
#
# l2tpns 2.4.1: reads /etc/l2tpns/{startup-config,ip_pool,users} from a
#   compiled-in path, so it runs under `unshare -m` with our directory bound
#   over /etc/l2tpns (the binding is private to it). Without log_file it
#   logs to stderr (our log file); without pid_file it writes no pid file;
#   it writes nothing else (chdir /tmp, opens /dev/net/tun). It always uses
#   UDP port 1701 on bind_address and opens more sockets in its namespace:
#   1702 (nsctl), 3799 (RADIUS DAE), 65432 (remote LNS), 127.0.0.1:23 (CLI),
#   64 RADIUS client sockets, and 32792 (cluster).
#   Clustering cannot be turned off: it joins a multicast group on
#   cluster_interface (default eth0; it exits if that does not exist) and
#   handles no tunnel until it has "elected" itself master when no heartbeat
#   came for cluster_hb_timeout. So it gets a veth pair of its own inside the
#   namespace (its heartbeats die on the other end) and a 2 s timeout: it is
#   ready about 1-2 s after starting ("I am declaring myself the master!").
#   It makes its TUN itself (tundevicename), puts iftun_address on it (else
#   bind_address) and routes the ip_pool through it. It authenticates PPP
#   only through RADIUS (it proposes CHAP in its first LCP ConfigReq) and
#   never challenges the LAC; it answers our Challenge with l2tp_secret.
#   Its hidden-AVP decoding is wrong past 16 bytes: keep hide_avps off
#   toward it. On SIGTERM it signals its whole process group (hence setsid),
#   sends StopCCN to its tunnels and exits 0 after ~2 s ("Shutdown
#   complete"). It forks a short-lived child when it becomes master.

# How FreeRADIUS runs: -X (the tests: single-threaded, every request logged)
# or, for a benchmark, "-f -l stdout" (its worker threads, no debug log).
: "${RADIUS_FLAGS:=-X}"
# Shared secret between l2tpns and FreeRADIUS (client 127.0.0.1).
: "${RADIUS_SECRET:=l2tpt-radius-s3cret}"
# The tunnel secret l2tpns answers a Challenge with.
: "${L2TPNS_SECRET:=l2tpt-tunnel-s3cret}"
# l2tpns's host name in its SCCRP (Host Name AVP).
: "${L2TPNS_HOSTNAME:=l2tpns-test}"
# Its TUN device, the address on it (its end of every PPP link, and the one
# it gives in IPCP), and the pool of addresses for the peers. Inside
# 10.204.0.0/16 like every address of these tests, and apart from the veth
# subnets, so a ping to L2TPNS_TUN_ADDR can only go through the tunnel.
: "${L2TPNS_TUN:=l2tpns0}"
: "${L2TPNS_TUN_ADDR:=10.204.99.1}"
: "${L2TPNS_POOL:=10.204.100.0/28}"
# The address on its private cluster veth (never seen outside its namespace).
: "${L2TPNS_CLUSTER_ADDR:=10.204.255.254}"

# ---------------------------------------------------------------- FreeRADIUS

RADIUS_DIR=$TEST_TMP/raddb

# radius_start NS USER PASSWORD: FreeRADIUS on NS's 127.0.0.1:1812 with one
# user (PAP and CHAP, from a Cleartext-Password) and one client, 127.0.0.1
# with RADIUS_SECRET. Returns when it accepts USER through radtest; prints
# nothing; fails the test with the reason otherwise.
radius_start()
{
	local ns=$1 user=$2 password=$3 d=$RADIUS_DIR

	need_cmd freeradius radtest
	[[ -d /etc/freeradius/3.0 ]] || fail "radius_start: /etc/freeradius/3.0 missing (run scripts/deps.sh)"
	# Quotes or backslashes would need escaping in the users file: not worth it.
	[[ "$user" =~ ^[A-Za-z0-9._@-]+$ ]] || fail "radius_start: user '$user' has characters the users file would need escaped"
	[[ "$password" != *[\"\\]* && "$password" != *$'\n'* ]] ||
		fail "radius_start: password has a quote, backslash or newline"

	rm -rf "$d"
	cp -a /etc/freeradius/3.0 "$d"
	sed -i \
		-e "s|^raddbdir = .*|raddbdir = $d|" \
		-e "s|^logdir = .*|logdir = $TEST_TMP|" \
		-e "s|^run_dir = .*|run_dir = $d|" \
		-e '/^[[:space:]]*user = /d' -e '/^[[:space:]]*group = /d' \
		-e 's/^\([[:space:]]*proxy_requests[[:space:]]*=[[:space:]]*\)yes/\1no/' \
		-e 's/^\([[:space:]]*reject_delay[[:space:]]*=[[:space:]]*\)[0-9]*/\10/' \
		"$d/radiusd.conf"
	grep -q "^raddbdir = $d\$" "$d/radiusd.conf" ||
		fail "radius_start: could not point raddbdir at $d (radiusd.conf changed?)"

	cat >"$d/clients.conf" <<-EOF
		client l2tpt {
			ipaddr = 127.0.0.1
			secret = $RADIUS_SECRET
			require_message_authenticator = no
		}
	EOF
	# "users" is a link to this file. Cleartext-Password serves PAP and CHAP.
	# (printf: the reply lines must keep their indentation, which <<- strips.)
	printf '%s Cleartext-Password := "%s"\n\tService-Type = Framed-User,\n\tFramed-Protocol = PPP\n' \
		"$user" "$password" >"$d/mods-config/files/authorize"
	# Only what a PAP/CHAP check needs: fewer modules, faster start, and no
	# EAP certificates to read.
	find "$d/mods-enabled" -mindepth 1 ! -name always ! -name pap ! -name chap \
		! -name files -delete
	rm -f "$d/sites-enabled/"*
	cat >"$d/sites-enabled/l2tpt" <<-'EOF'
		server l2tpt {
			listen {
				type = auth
				ipaddr = 127.0.0.1
				port = 1812
			}
			authorize {
				chap
				files
				pap
			}
			authenticate {
				Auth-Type PAP {
					pap
				}
				Auth-Type CHAP {
					chap
				}
			}
		}
	EOF

	# -XC: check the configuration, with the reason on stdout when it fails.
	timeout 20 freeradius -XC -d "$d" >"$TEST_TMP/radius-check.log" 2>&1 ||
		fail "radius_start: FreeRADIUS rejects the configuration: $(tail -n 5 "$TEST_TMP/radius-check.log")"
	# shellcheck disable=SC2086 # RADIUS_FLAGS is a list of options
	start_bg -n "$ns" radius freeradius $RADIUS_FLAGS -d "$d"
	wait_log radius "Ready to process requests" 15
	RADIUS_NS=$ns
	wait_until 10 radius_auth "$user" "$password" pap
}

# radius_auth USER PASSWORD [pap|chap]: one radtest against our FreeRADIUS;
# succeeds on Access-Accept. (radclient alone retries for 15 s.)
radius_auth()
{
	timeout 5 ip netns exec "$(ns_name "$RADIUS_NS")" \
		radtest -t "${3:-pap}" "$1" "$2" 127.0.0.1 0 "$RADIUS_SECRET" 2>&1 |
		grep -q 'Received Access-Accept'
}

radius_stop()
{
	stop_bg radius 5
}

# ---------------------------------------------------------------- l2tpns

L2TPNS_DIR=$TEST_TMP/etc-l2tpns

# The name l2tpns runs under (start_bg's NAME, its log $TEST_TMP/NAME.log):
# a test that restarts l2tpns with other settings sets another one first,
# since start_bg names are used once.
: "${L2TPNS_BG:=l2tpns}"

# l2tpns_start NS ADDR [SETTING...]: l2tpns in NS, on ADDR:1701, using our
# FreeRADIUS (radius_start first: same namespace, its 127.0.0.1). Each
# SETTING is one more startup-config line ("set debug 4"; a later "set"
# overrides an earlier one). Returns when it is ready for tunnels.
l2tpns_start()
{
	local ns=$1 addr=$2 s
	shift 2

	need_cmd l2tpns unshare mount setsid
	[[ -n "${RADIUS_NS:-}" ]] || fail "l2tpns_start: start FreeRADIUS first (radius_start)"
	[[ "$RADIUS_NS" == "$ns" ]] || fail "l2tpns_start: FreeRADIUS is in namespace $RADIUS_NS, not $ns"

	mkdir -p "$L2TPNS_DIR"
	# No log_file: it then logs to stderr, into start_bg's log. Debug 3 logs
	# the control messages and the PPP negotiation.
	cat >"$L2TPNS_DIR/startup-config" <<-EOF
		set debug 3
		set hostname "$L2TPNS_HOSTNAME"
		set bind_address $addr
		set iftun_address $L2TPNS_TUN_ADDR
		set peer_address $L2TPNS_TUN_ADDR
		set tundevicename "$L2TPNS_TUN"
		set l2tp_secret "$L2TPNS_SECRET"
		set primary_radius 127.0.0.1
		set primary_radius_port 1812
		set radius_secret "$RADIUS_SECRET"
		set radius_authtypes "chap,pap"
		set radius_accounting no
		set cli_bind_address 127.0.0.1
		set bind_address_remotelns 127.0.0.1
		set send_garp no
		set cluster_interface "l2tpns-cl"
		set cluster_hb_interval 2
		set cluster_hb_timeout 20
	EOF
	for s in "$@"; do
		printf '%s\n' "$s" >>"$L2TPNS_DIR/startup-config"
	done
	printf '%s\n' "$L2TPNS_POOL" >"$L2TPNS_DIR/ip_pool"
	: >"$L2TPNS_DIR/users"   # CLI users: none

	# The cluster interface (see the top of this file): a veth pair with
	# both ends in NS, so the multicast heartbeats stay there.
	if ! ip -n "$(ns_name "$ns")" link show l2tpns-cl >/dev/null 2>&1; then
		ip -n "$(ns_name "$ns")" link add l2tpns-cl type veth peer name l2tpns-clp
		ip -n "$(ns_name "$ns")" addr add "$L2TPNS_CLUSTER_ADDR/32" dev l2tpns-cl
		ip -n "$(ns_name "$ns")" link set l2tpns-clp up
		ip -n "$(ns_name "$ns")" link set l2tpns-cl up
	fi

	# setsid: it signals its whole process group when it stops, which must
	# not be ours. unshare -m: the bind mount is seen by l2tpns alone, and
	# goes away with it (unshare makes the new namespace's mounts private).
	# unshare and sh exec in place, so the recorded PID is l2tpns's.
	# shellcheck disable=SC2016 # $0 is for the inner sh
	start_bg -n "$ns" -s "$L2TPNS_BG" unshare -m sh -c \
		'mount --bind "$0" /etc/l2tpns && exec l2tpns' "$L2TPNS_DIR"
	wait_log "$L2TPNS_BG" "Set up on interface $L2TPNS_TUN" 10
	wait_log "$L2TPNS_BG" "I am declaring myself the master" 15
}

# l2tpns_log_has PATTERN: l2tpns has logged PATTERN (grep -E); for
# wait_until.
l2tpns_log_has()
{
	grep -Eq -- "$1" "$(bg_log "$L2TPNS_BG")"
}

# l2tpns_log_count PATTERN: how many lines of l2tpns's log match PATTERN.
l2tpns_log_count()
{
	grep -Ec -- "$1" "$(bg_log "$L2TPNS_BG")" || true
}

# l2tpns_stop: TERM to its process group; it closes its tunnels (StopCCN)
# and exits. Its exit status is left in BG_STATUS.
l2tpns_stop()
{
	stop_bg "$L2TPNS_BG" 10
}
