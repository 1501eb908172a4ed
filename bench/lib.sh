# bench/lib.sh: process handling shared by the benchmark scripts (sourced, not run). Every
# process is started through launch() and stopped by PID in stop_all(); the caller sets TMP
# (logs go to $TMP/<name>.log) and ROOT (the checkout) and calls stop_all on exit.

PIDS=()

# Stops every launched process, newest first: TERM, up to 5 s, then KILL.
stop_all() {
  local pid i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2> /dev/null || true
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  PIDS=()
}

# PID: CPU time (utime + stime, in clock ticks) of a process, all its threads, and its children
# (nginx's workers) so far.
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2> /dev/null || echo 0)))
  done
  echo "$t"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2> /dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# NAME PORT CPUS cmd...: starts cmd in the background (pinned to CPUS with taskset when CPUS is
# not empty), records its PID in PIDS and PID_<NAME>, and waits up to 10 s for it to listen on
# PORT; exits the script, showing its log, if it dies or never listens.
launch() {
  local name=$1 port=$2 cpus=$3
  shift 3
  # Started directly, not through a function: $! must be the process itself, so that its CPU
  # time can be read from /proc/<pid>/stat.
  if [ -n "$cpus" ]; then
    taskset -c "$cpus" "$@" > "$TMP/$name.log" 2>&1 &
  else
    "$@" > "$TMP/$name.log" 2>&1 &
  fi
  local pid=$!
  PIDS+=("$pid")
  eval "PID_$name=$pid"
  for _ in $(seq 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
    kill -0 "$pid" 2> /dev/null || { echo "$name exited; see $TMP/$name.log" >&2; cat "$TMP/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$name did not listen on $port" >&2
  exit 1
}

# DIR V1_PORT V2_PORT: the walkthrough's configuration for canaryd -f DIR, 90/10 between two
# canary-demoapp backends on V1_PORT and V2_PORT.
walkthrough_conf() {
  mkdir -p "$1"
  sed -e "s/\"80\": 8081/\"80\": $2/" -e "s/\"80\": 8082/\"80\": $3/" \
    "$ROOT/examples/walkthrough/workloads.yaml" > "$1/workloads.yaml"
  cp "$ROOT/examples/walkthrough/web-v1-service.yaml" "$ROOT/examples/walkthrough/web-v2-service.yaml" \
    "$ROOT/examples/walkthrough/steps/web-gateway-virtualservice-90-10.yaml" "$1/"
}

# DIR PORT WORKERS V1_PORT V2_PORT [HTTP_DIRECTIVES]: DIR/nginx.conf for nginx -p DIR: the same
# 90/10 split with upstream keep-alive, listening on 127.0.0.1:PORT. HTTP_DIRECTIVES go into the
# http block ("access_log off;" when not given).
nginx_conf() {
  mkdir -p "$1/tmp"
  cat > "$1/nginx.conf" << CONF
worker_processes $3;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
  ${6:-access_log off;}
  keepalive_timeout 75s;
  keepalive_requests 10000000;
  client_body_temp_path $1/tmp; proxy_temp_path $1/tmp;
  fastcgi_temp_path $1/tmp; uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
  upstream be {
    server 127.0.0.1:$4 weight=9;
    server 127.0.0.1:$5 weight=1;
    keepalive 1024;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:$2 backlog=4096 reuseport;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
}
