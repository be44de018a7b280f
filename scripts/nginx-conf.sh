#!/usr/bin/env bash
# Prints deploy/nginx.conf for a cluster on this machine: nginx listens at PORT, balancing
# across the instances at INSTANCE_PORT… as deployed. With --pinned, it also listens at
# PORT+1, PORT+2, …, each of which always goes to instance 1, 2, … (to see what one
# instance serves, or to pin a test's browser to it). Every response names the instance it
# came from in an `x-upstream` header.
#   scripts/nginx-conf.sh [--pinned] PORT INSTANCE_PORT...
# Used by scripts/cluster.sh, the tests of several instances and the cluster benchmark.
set -euo pipefail
pinned=0
if [[ "${1:-}" == "--pinned" ]]; then
  pinned=1
  shift
fi
if [[ $# -lt 2 ]]; then
  echo "usage: $0 [--pinned] PORT INSTANCE_PORT..." >&2
  exit 2
fi
listen="$1"
shift
awk -v listen="$listen" -v pinned="$pinned" -v instances="$*" '
  BEGIN { n = split(instances, port, " "); pins = pinned ? n : 0 }
  /^ *listen 127\.0\.0\.1:[0-9]+;$/ {
    for (i = 0; i <= pins; i++) printf "        listen 127.0.0.1:%d;\n", listen + i
    rewrote["listen"] = 1
    next
  }
  /^ *server 127\.0\.0\.1:[0-9]+;$/ {
    if (!rewrote["servers"]++) for (i = 1; i <= n; i++) printf "        server 127.0.0.1:%d;\n", port[i]
    next
  }
  /^    server \{$/ {
    # A pinned port goes to an upstream holding its instance alone.
    print "    map $server_port $murmur_upstream {"
    print "        default murmur;"
    for (i = 1; i <= pins; i++) printf "        %d instance%d;\n", listen + i, i
    print "    }"
    for (i = 1; i <= pins; i++) printf "    upstream instance%d { server 127.0.0.1:%d; keepalive 16; }\n", i, port[i]
    print ""
    rewrote["map"] = 1
  }
  /^ *proxy_pass http:\/\/murmur;$/ {
    print "            proxy_pass http://$murmur_upstream;"
    print "            add_header x-upstream $upstream_addr always;"
    rewrote["proxy_pass"] = 1
    next
  }
  { print }
  END {
    split("listen servers map proxy_pass", wanted, " ")
    for (i in wanted) if (!rewrote[wanted[i]]) {
      print "deploy/nginx.conf has no line for " wanted[i] " where this script expects one" > "/dev/stderr"
      exit 1
    }
  }' "$(dirname "${BASH_SOURCE[0]}")/../deploy/nginx.conf"
