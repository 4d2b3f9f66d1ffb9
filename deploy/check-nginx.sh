#!/usr/bin/env bash
# Check deploy/nginx/tribune.conf with `nginx -t`, outside /etc/nginx.
#
#   deploy/check-nginx.sh           syntax and semantics (nginx -t) only
#   deploy/check-nginx.sh --smoke   also run nginx in front of `tribune serve`
#                                   on high ports (SQLite, DEBUG=0, collected
#                                   static files) and check with curl: static
#                                   files, the micro-cache (MISS then HIT),
#                                   the session-cookie bypass, /healthz
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

http_port=80 https_port=443 app_port=8000
if [ $smoke = 1 ]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  http_port=$(free_port) https_port=$(free_port) app_port=$(free_port)
fi

sed -e "s#/etc/letsencrypt/live/news.example.org/#$tmp/#" \
    -e "s#/var/cache/nginx/tribune#$tmp/cache#" \
    -e "s#/srv/tribune/static/#$tmp/static/#" \
    -e "s#/var/www/letsencrypt#$tmp/acme#" \
    -e "s#server 127.0.0.1:8000;#server 127.0.0.1:$app_port;#" \
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
.venv/bin/tribune serve --port "$app_port" --workers 1 --threads 4 >"$tmp/serve.log" 2>&1 &
pids+=($!)
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)

site="https://news.example.org:$https_port"
get() { curl -sk --noproxy '*' --resolve "news.example.org:$https_port:127.0.0.1" -o /dev/null -D - "$@"; }
header() { tr -d '\r' | awk -v h="$1" 'tolower($1) == tolower(h) ":" { print $2 }'; }
for _ in $(seq 100); do
  [ "$(get "$site/healthz" | head -1 | awk '{print $2}')" = 200 ] && break
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
if [ $fail = 1 ]; then
  echo "--- serve.log"; tail -20 "$tmp/serve.log"; echo "--- error.log"; tail -20 "$tmp/error.log"
  exit 1
fi
echo "smoke test passed"
