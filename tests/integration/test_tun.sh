#!/bin/bash
# src/dataplane/tun.c against the real kernel: a multi-queue TUN made in a
# namespace, configured over our own rtnetlink code (MTU, up, IPv4
# point-to-point and IPv6 addresses, routes added and deleted, the errors a
# caller relies on), checked with iproute2's JSON view of that namespace.
# No traffic: the fast path has its own tests.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_root
need_cmd ip timeout "$PYTHON"
: "${TUN_SETUP:=$L2TPD_BIN_DIR/tun-setup}"
need_bin "$TUN_SETUP"
[[ -c /dev/net/tun ]] || fail "/dev/net/tun missing"

TUN=l2tpt0

# json_query NS PYTHON-EXPR CMD...: run `ip -j CMD...` in NS and print
# PYTHON-EXPR evaluated with j = the parsed JSON.
json_query()
{
	local ns=$1 expr=$2
	shift 2
	ns_exec "$ns" ip -j "$@" | "$PYTHON" -c "import json, sys; j = json.load(sys.stdin); print($expr)"
}

step "create $TUN with two queues and configure it over netlink"
ns_create a
start_bg -n a -w tun "$TUN_SETUP" "$TUN" 2 \
	mtu 1400 up \
	addr4 10.201.5.1 10.201.5.2 32 \
	addr6 fd00:201:5::1 64 \
	route4 10.201.6.0/24 route4 10.201.6.0/24 \
	route4 10.201.7.0/24 delroute4 10.201.7.0/24 delroute4 10.201.7.0/24 \
	route6 fd00:201:6::/64 \
	route4 10.201.8.0/33
wait_log tun '^ready$' 5
out=$(cat "$(bg_log tun)")
log "$out"
assert_contains "$out" "ok open $TUN" "open"
assert_contains "$out" "queues 2" "queues"
assert_contains "$out" "ok mtu 1400" "mtu"
assert_contains "$out" "ok up" "up"
assert_contains "$out" "ok addr4 10.201.5.1" "IPv4 address"
assert_contains "$out" "ok addr6 fd00:201:5::1" "IPv6 address"
assert_contains "$out" "ok route4 10.201.6.0/24"$'\n'"error route4 10.201.6.0/24 EEXIST" \
	"a duplicate route is -EEXIST"
assert_contains "$out" "ok delroute4 10.201.7.0/24"$'\n'"error delroute4 10.201.7.0/24 ESRCH" \
	"deleting a missing route is -ESRCH"
assert_contains "$out" "error route4 10.201.8.0/33 EINVAL" "prefix length checked"

step "check the link as the kernel sees it"
assert_eq 1400 "$(json_query a 'j[0]["mtu"]' link show dev "$TUN")" "MTU"
assert_eq True "$(json_query a '"UP" in j[0]["flags"]' link show dev "$TUN")" "up"
assert_eq True "$(json_query a '"POINTOPOINT" in j[0]["flags"]' link show dev "$TUN")" \
	"a TUN is point-to-point"
info=$(json_query a 'j[0]["linkinfo"]["info_data"]' -d link show dev "$TUN")
log "linkinfo: $info"
assert_contains "$info" "'type': 'tun'" "IFF_TUN"
assert_contains "$info" "'pi': False" "IFF_NO_PI"
assert_contains "$info" "'multi_queue': True" "IFF_MULTI_QUEUE"
assert_contains "$info" "'numqueues': 2" "two queues attached"

step "check the addresses"
v4=$(json_query a '[(a["local"], a.get("address"), a["prefixlen"]) for a in j[0]["addr_info"] if a["family"] == "inet"]' addr show dev "$TUN")
assert_eq "[('10.201.5.1', '10.201.5.2', 32)]" "$v4" "IPv4 local, peer and prefix"
v6=$(json_query a '[(a["local"], a["prefixlen"]) for a in j[0]["addr_info"] if a["family"] == "inet6" and a["scope"] == "global"]' addr show dev "$TUN")
assert_eq "[('fd00:201:5::1', 64)]" "$v6" "IPv6 address"

step "check the routes"
r4=$(json_query a 'sorted((r["dst"], r["scope"], r["protocol"]) for r in j if r.get("dev") == "'$TUN'" and r.get("protocol") == "static")' route show)
assert_eq "[('10.201.6.0/24', 'link', 'static')]" "$r4" "IPv4 routes: the added one, not the deleted one"
r6=$(json_query a '[r["dst"] for r in j if r.get("dev") == "'$TUN'" and r.get("protocol") == "static"]' -6 route show)
assert_eq "['fd00:201:6::/64']" "$r6" "IPv6 route"

step "closing the queues removes the TUN and its routes"
stop_bg tun
assert_eq 0 "$BG_STATUS" "tun-setup exit status"
assert_fails ns_exec a ip link show dev "$TUN"
assert_eq "[]" "$(json_query a '[r for r in j if r.get("dst") == "10.201.6.0/24"]' route show)" \
	"route gone with the link"

pass
