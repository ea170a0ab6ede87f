#!/bin/bash
# net.http_rps: the durable HTTP service benchmark of design.md, as JSON lines (run by `make bench`).
# examples/counter-service under wrk (POST /inc, keep-alive, on loopback) with output commit on and off,
# next to its anchors measured in the same run: Redis INCR with appendfsync always and everysec
# (redis-benchmark), and nginx serving a small static file (the ceiling of an HTTP server here).
# Target: with output commit on, at least redis_always_rps.
#
#   bench/net_http_rps.sh PHANTOM_BINARY CLASSES_DIR     (NET_BENCH_SECONDS, NET_BENCH_CONNS to change)
set -euo pipefail
phantom=$1
classes=$2
seconds=${NET_BENCH_SECONDS:-5}
conns_list=${NET_BENCH_CONNS:-"1 64"}
work=$(mktemp -d /tmp/phantom_net_bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # until the port accepts connections (10 s at most)
  for _ in $(seq 1000); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.01
  done
  echo "net_http_rps: nothing listens on port $1" >&2
  return 1
}
# wrk --latency output: "rps p50_ms p99_ms"
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}
echo 'wrk.method = "POST"' > "$work/post.lua"

# ---- the anchors ----
redis_rps() {  # $1: always or everysec; prints INCR requests per second with 64 clients
  local port dir
  port=$(free_port)
  dir="$work/redis-$1"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly yes --appendfsync "$1" \
    --daemonize no --logfile "$dir/log" &
  pids+=($!)
  wait_port "$port"
  redis-benchmark -p "$port" -t incr -n 200000 -c 64 -q --csv 2>/dev/null | awk -F'"' '/INCR/ { printf "%.0f\n", $4 }'
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
}
always=$(redis_rps always)
everysec=$(redis_rps everysec)

nginx_port=$(free_port)
mkdir -p "$work/nginx/html"
printf '{"value":1}\n' > "$work/nginx/html/value"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:$nginx_port; root $work/nginx/html; }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>/dev/null &
pids+=($!)
wait_port "$nginx_port"
read -r nginx_rps _ <<<"$(wrk -t2 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$nginx_port/value" | wrk_figures)"

# ---- the counter service ----
for commit in true false; do
  port=$(free_port)
  world="$work/counter-$commit.img"
  env_args=(--env "PORT=$port")
  [ "$commit" = false ] && env_args+=(--env IMMEDIATE=1)
  "$phantom" run --world "$world" --arena-size 256M --boot .examples.counter_service --classpath "$classes" \
    "${env_args[@]}" >"$work/counter-$commit.log" 2>&1 &
  pid=$!
  pids+=($pid)
  wait_port "$port"
  for conns in $conns_list; do
    threads=$((conns < 2 ? 1 : 2))
    read -r rps p50 p99 <<<"$(wrk -t$threads -c"$conns" -d"${seconds}s" --latency -s "$work/post.lua" \
      "http://127.0.0.1:$port/inc" | wrk_figures)"
    ratio=$(awk -v a="$rps" -v b="$always" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '{"bench":"net.http_rps","conns":%d,"output_commit":%s,"rps":%d,"p50_ms":%s,"p99_ms":%s,' \
      "$conns" "$commit" "$rps" "$p50" "$p99"
    printf '"redis_always_rps":%d,"redis_everysec_rps":%d,"nginx_rps":%d,"ratio_to_redis_always":%s}\n' \
      "$always" "$everysec" "$nginx_rps" "$ratio"
  done
  kill -9 "$pid" 2>/dev/null || true
done
