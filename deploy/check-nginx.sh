#!/usr/bin/env bash
# Check deploy/nginx/tribune.conf with `nginx -t`, outside /etc/nginx.
#
#   deploy/check-nginx.sh           syntax and semantics (nginx -t) only
#   deploy/check-nginx.sh --smoke   also run nginx in front of `tribune serve`
#                                   and `tribune serve --live` on high ports
#                                   (SQLite, DEBUG=0, collected static files)
#                                   and check with curl: static files, the
#                                   micro-cache (MISS then HIT), the
#                                   session-cookie bypass, /healthz, live
#                                   updates streamed by the live server and
#                                   answered by the WSGI server without it
#
# Everything lives in a temporary directory: the site's certificate is a
# self-signed one made here, the cache and logs are here, nothing under
# /etc/nginx or /var is read or written except /etc/nginx/mime.types.
# Needs Debian's nginx (apt-get install nginx), openssl and, for --smoke, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/tribune-nginx.XXXXXX)
# nginx's workers run as nobody when the master is root; they read from here.
chmod 755 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # granian stops its workers before it exits; give it a few seconds.
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=news.example.org" \
  -keyout "$tmp/privkey.pem" -out "$tmp/fullchain.pem" 2>/dev/null
mkdir -p "$tmp/static" "$tmp/acme"

http_port=80 https_port=443 app_port=8000 live_port=8001 live_limit=64
if [ $smoke = 1 ]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  http_port=$(free_port) https_port=$(free_port) app_port=$(free_port) live_port=$(free_port)
  # One open stream per address, so the smoke test can pass the limit.
  live_limit=1
fi

sed -e "s#/etc/letsencrypt/live/news.example.org/#$tmp/#" \
    -e "s#/var/cache/nginx/tribune#$tmp/cache#" \
    -e "s#/srv/tribune/static/#$tmp/static/#" \
    -e "s#/var/www/letsencrypt#$tmp/acme#" \
    -e "s#server 127.0.0.1:8000#server 127.0.0.1:$app_port#" \
    -e "s#server 127.0.0.1:8001;#server 127.0.0.1:$live_port;#" \
    -e "s#limit_conn tribune_live_streams 64;#limit_conn tribune_live_streams $live_limit;#" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e "s#listen \[::\]:80;##" \
    -e "s#listen 443 ssl#listen 127.0.0.1:$https_port ssl#" \
    -e "s#listen \[::\]:443 ssl http2;##" \
    deploy/nginx/tribune.conf >"$tmp/tribune.conf"

cat >"$tmp/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $tmp/access.log;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/tribune.conf;
}
EOF

nginx -t -q -c "$tmp/nginx.conf" -p "$tmp"
echo "nginx -t: deploy/nginx/tribune.conf is valid"
[ $smoke = 1 ] || exit 0

# --- smoke test: nginx in front of `tribune serve` ---------------------------
export DEBUG=0 SECURE_SSL=1 ALLOWED_HOSTS=news.example.org \
  CSRF_TRUSTED_ORIGINS=https://news.example.org \
  TRIBUNE_SECRET_KEY="smoke-$(openssl rand -hex 32)" \
  TRIBUNE_CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR \
  SQLITE_PATH="$tmp/tribune.sqlite3" STATIC_ROOT="$tmp/static"
unset DATABASE_URL REDIS_URL
tribune() { python3 -m uv run --frozen tribune "$@"; }
tribune migrate -v0
tribune collectstatic --noinput -v0
tribune demo --no-serve >/dev/null
# An article with published comments, for the live updates.
slug=$(tribune shell -v0 -c "from discussion.models import Comment
print(Comment.objects.filter(status=Comment.Status.PUBLISHED).values_list('article__slug', flat=True).first())")
.venv/bin/tribune serve --port "$app_port" --workers 1 --threads 4 >"$tmp/serve.log" 2>&1 &
pids+=($!)
.venv/bin/tribune serve --live --port "$live_port" >"$tmp/live.log" 2>&1 &
live_pid=$!
pids+=($live_pid)
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)

site="https://news.example.org:$https_port"
get() { curl -sk --noproxy '*' --resolve "news.example.org:$https_port:127.0.0.1" -o /dev/null -D - "$@"; }
header() { tr -d '\r' | awk -v h="$1" 'tolower($1) == tolower(h) ":" { print $2 }'; }
for _ in $(seq 100); do
  [ "$(get "$site/healthz" | head -1 | awk '{print $2}')" = 200 ] && break
  sleep 0.2
done
for _ in $(seq 100); do
  curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$live_port/" && break
  sleep 0.2
done

fail=0
check() {  # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected $2, got $3"; fail=1; fi
}
check "/healthz" 200 "$(get "$site/healthz" | head -1 | awk '{print $2}')"
check "http redirects" 301 "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/")"
css=$(curl -sk --noproxy '*' --resolve "news.example.org:$https_port:127.0.0.1" "$site/" \
  | grep -o '/static/tribune/tribune\.[0-9a-f]*\.css' | head -1)
check "hashed stylesheet linked" 1 "$([ -n "$css" ] && echo 1 || echo 0)"
check "static cache header" "public, max-age=31536000, immutable" \
  "$(get "$site$css" | tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: //p')"
# A URL nobody asked for yet. nginx counts validity in whole seconds, so
# "1s" keeps an entry for one to two seconds.
page="$site/?smoke=$RANDOM"
check "anonymous page, first" MISS "$(get "$page" | header X-Cache-Status)"
check "anonymous page, again" HIT "$(get "$page" | header X-Cache-Status)"
sleep 2.2
status=$(get "$page" | header X-Cache-Status)
check "anonymous page, 2 s later (served stale, refreshed behind)" STALE "$status"
check "with a session cookie" BYPASS "$(get -H 'Cookie: sessionid=abc' "$page" | header X-Cache-Status)"
check "htmx request, own entry" MISS "$(get -H 'HX-Request: true' "$page" | header X-Cache-Status)"
check "POST, not cached" "" "$(get -X POST "$page" | header X-Cache-Status)"
check "sign-in page, not cached" "" "$(get "$site/accounts/signin/" | header X-Cache-Status)"
codes=$(for _ in $(seq 12); do get -X POST "$site/accounts/signin/" | head -1 | awk '{print $2}'; done | tr '\n' ' ')
check "sign-in POST flood, last answers" 429 "$(echo "$codes" | awk '{print $NF}')"
check "/healthz, not stored" MISS "$(get "$site/healthz" | header X-Cache-Status)"

# Live updates: through nginx to the live server, a stream that stays open
# (curl stops it: exit 28) after `retry:` and the first `comments` event.
# Its `retry: 5000` is the stream's; the WSGI server's poll answers 2000.
live="$site/articles/$slug/live/?after=0"
stream() {  # stream SECONDS FILE: the headers and body curl got in that time
  local code=0
  curl -skN --noproxy '*' --resolve "news.example.org:$https_port:127.0.0.1" \
    --max-time "$1" -D - "$live" >"$2" || code=$?
  echo "$code" >"$2.exit"
}
stream 3 "$tmp/stream"
check "live: streamed, still open after 3 s (curl exit)" 28 "$(cat "$tmp/stream.exit")"
check "live: content type" text/event-stream "$(header Content-Type <"$tmp/stream")"
check "live: not cached" "" "$(header X-Cache-Status <"$tmp/stream")"
check "live: the stream's reconnection delay" "retry: 5000" "$(grep -m1 '^retry:' "$tmp/stream" | tr -d '\r')"
check "live: first event" "event: comments" "$(grep -m1 '^event:' "$tmp/stream" | tr -d '\r')"
# Past the per-address limit (1 here), a page polls the WSGI server.
stream 4 "$tmp/held" &
held=$!
sleep 1.5
stream 3 "$tmp/limited"
wait $held
check "live: past the limit, answered at once" 0 "$(cat "$tmp/limited.exit")"
check "live: past the limit, a poll" "retry: 2000" "$(grep -m1 '^retry:' "$tmp/limited" | tr -d '\r')"
# With the live server stopped, the WSGI server (the backup) answers.
kill -TERM "$live_pid"
for _ in $(seq 100); do kill -0 "$live_pid" 2>/dev/null || break; sleep 0.1; done
stream 3 "$tmp/backup"
check "live server stopped: answered at once" 0 "$(cat "$tmp/backup.exit")"
check "live server stopped: status" 200 "$(head -1 "$tmp/backup" | awk '{print $2}')"
check "live server stopped: a poll" "retry: 2000" "$(grep -m1 '^retry:' "$tmp/backup" | tr -d '\r')"
check "live server stopped: first event" "event: comments" "$(grep -m1 '^event:' "$tmp/backup" | tr -d '\r')"
if [ $fail = 1 ]; then
  echo "--- serve.log"; tail -20 "$tmp/serve.log"; echo "--- live.log"; tail -20 "$tmp/live.log"
  echo "--- error.log"; tail -20 "$tmp/error.log"
  exit 1
fi
echo "smoke test passed"
