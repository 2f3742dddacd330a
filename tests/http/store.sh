#!/usr/bin/env bash
# HTTP tests of getting profiles in and sharing them: uploads (raw and multipart) into a fresh
# -store, content-addressed ids, links that survive a restart, -max_upload (413), corrupt uploads
# (422, nothing stored), concurrent uploads, live URLs from a local HTTP server (a command-line
# URL and POST /api/fetch) and fetch errors, the access token (-auth_token, -private), hostile
# names served escaped. Everything listens on 127.0.0.1 only and is stopped at the end.
# Runs against a directory store, or with the argument "postgresql" against a PostgreSQL store
# (a private server, tests/http/pglib.sh): the same checks, the same answers.
# Ends with "store http: N passed, N failed" (or "store http (postgresql): ...").
set -u
cd "$(dirname "$0")/../.."
BACKEND=${1:-directory}
case $BACKEND in directory) NAME="store http" ;; postgresql) NAME="store http (postgresql)" ;;
    *) echo "usage: $0 [directory|postgresql]"; exit 2 ;; esac
. tests/http/lib.sh "$NAME"
. tests/http/pglib.sh
WEB_PID=
stop_web() { [ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; pg_remove; }
CLEANUP_HOOK=stop_web
finish() { summary; exit; }

# post PATH CURL-ARGS...: POSTs, leaves the body in $TMP/body, prints the status.
post() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"; }
get() { local p=$1; shift; curl -s -m 60 -o "$TMP/body" -w "%{http_code}" "$@" "$URL$p"; }
json() { python3 -c "import json,sys; d=json.load(open('$TMP/body')); print($1)"; }
# Profiles in the store (.meta files, or rows), and anything temporary left behind.
if [ "$BACKEND" = postgresql ]; then
    pg_start || { bad "starting postgresql"; finish; }
    STORE=$PG_URL
    n_meta() { pg_sql "SELECT count(*) FROM pprofweb_profiles"; }
    n_tmp() { echo 0; } # a transaction leaves nothing behind
    store_ready() { test "$(pg_sql 'SELECT version FROM pprofweb_schema')" = 1; }
    store_reset() { pg_sql "TRUNCATE pprofweb_profiles, pprofweb_series CASCADE"; }
else
    STORE=$TMP/store
    n_meta() { find "$STORE" -name '*.meta' | wc -l; }
    n_tmp() { find "$STORE" -name '.tmp*' | wc -l; }
    store_ready() { test -d "$STORE"; }
    store_reset() { rm -rf "$STORE"; }
fi
CPU=testdata/profiles/shop.cpu.pb.gz
HEAP=testdata/profiles/shop.heap-t0.pb.gz
HEAP1=testdata/profiles/shop.heap-t1.pb.gz
TEXT=testdata/profiles/shop.heap-t1.debug1.txt

# --- uploads into an empty store, no profile on the command line ---
start_server -store "$STORE" || finish
check "store created ($BACKEND)" store_ready
check "start page" test "$(get /ui/)" = 200
check "start page at /start" test "$(get /start)" = 200
check "start page is the page" grep -q 'src="/static/app.js"' "$TMP/body"
check "empty store lists nothing" test "$(get /api/store > /dev/null; json 'len(d["profiles"])')" = 0

st=$(post "/api/upload?name=cpu.pb.gz" --data-binary @"$CPU")
check "raw upload: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
ID=$(json 'd["id"]')
check "raw upload: a store id" grep -Eq '^[0-9a-f]{24}$' <<< "$ID"
check "raw upload: its link" test "$(json 'd["link"]')" = "/p/$ID/ui/flamegraph"
check "raw upload: named" test "$(json 'd["profiles"][0]["name"]')" = cpu.pb.gz
post /api/upload --data-binary @"$CPU" > /dev/null
check "same bytes, same id" test "$(json 'd["id"]')" = "$ID"
check "id is the content's SHA-256" test "$ID" = "$(sha256sum "$CPU" | cut -c1-24)"
check "stored once" test "$(n_meta)" = 1

st=$(post /api/upload -F "file=@$HEAP" -F "file=@$TEXT;filename=heap.txt" -F note=x)
check "multipart upload of two files: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
check "multipart: two profiles" test "$(json 'len(d["profiles"])')" = 2
HEAP_ID=$(json 'd["profiles"][0]["id"]')
check "multipart: file names kept" test "$(json '",".join(p["name"] for p in d["profiles"])')" = "shop.heap-t0.pb.gz,heap.txt"
check "multipart: legacy text accepted" test "$(json 'd["profiles"][1]["type"]')" = "alloc_objects,alloc_space,inuse_objects,inuse_space"
check "multipart id is content-addressed" test "$HEAP_ID" = "$(sha256sum "$HEAP" | cut -c1-24)"
check "three stored" test "$(n_meta)" = 3

# The link serves the same numbers as the command line.
for pair in "$ID:$CPU" "$HEAP_ID:$HEAP"; do
    id=${pair%%:*} f=${pair#*:}
    curl -s "$URL/p/$id/api/top" | python3 tests/http/json2text.py top > "$TMP/web.txt"
    "$BIN" -top "$f" > "$TMP/cli.txt" 2> /dev/null
    check "/p/$id/api/top equals pprofweb -top $f" diff -u "$TMP/cli.txt" "$TMP/web.txt"
done
check "stored profile page" test "$(get "/p/$ID/ui/top")" = 200
check "stored profile download" test "$(get "/p/$ID/download")" = 200
check "download is the profile" cmp -s <("$BIN" -top "$TMP/body" | tail -n +2) <("$BIN" -top "$CPU" | tail -n +2)
check "listing has type, time, size" test "$(get /api/store > /dev/null; json '[p for p in d["profiles"] if p["id"]=="'"$ID"'"][0]["size"]')" = "$(stat -c %s "$CPU")"

# Too big: 413, nothing stored (-max_upload below).
# Corrupt: 422 with the decoder's message, nothing stored, no temporary files.
head -c 2000 "$CPU" > "$TMP/cut.pb.gz"
st=$(post "/api/upload?name=cut.pb.gz" --data-binary @"$TMP/cut.pb.gz")
check "corrupt upload: 422 ($st)" test "$st" = 422
check "corrupt upload: decoder's message ($(head -c 200 "$TMP/body"))" grep -q 'cut.pb.gz: decompressing profile' "$TMP/body"
printf 'this is not a profile\n' > "$TMP/junk.txt"
check "text that is no profile: 422" test "$(post /api/upload --data-binary @"$TMP/junk.txt")" = 422
st=$(post /api/upload -F "file=@$HEAP1" -F "file=@$TMP/cut.pb.gz")
check "multipart with one bad file: 422, none stored" test "$st:$(n_meta)" = "422:3"
check "nothing stored, no temporary files" test "$(n_meta):$(n_tmp)" = "3:0"
if [ "$BACKEND" = postgresql ]; then
    # One upload is one transaction: the database refusing its second file keeps the first out.
    pg_sql "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        \$\$BEGIN RAISE EXCEPTION 'refused by a test trigger'; END\$\$;
        CREATE TRIGGER refuse BEFORE INSERT ON pprofweb_profiles FOR EACH ROW
        WHEN (NEW.name = 'refused.pb.gz') EXECUTE FUNCTION refuse()"
    gzip -dc "$CPU" > "$TMP/cpu.pb" # bytes not stored yet
    st=$(post /api/upload -F "file=@$HEAP1" -F "file=@$TMP/cpu.pb;filename=refused.pb.gz")
    check "multipart, the database refusing the second file: an error naming it ($st $(head -c 200 "$TMP/body"))" \
        grep -q 'refused.pb.gz.*refused by a test trigger' "$TMP/body"
    check "multipart, the database refusing the second file: the first is not stored either ($st:$(n_meta))" \
        test "${st:0:1}:$(n_meta)" = "5:3"
    check "multipart, the first file's link does not exist" \
        test "$(get "/p/$(sha256sum "$HEAP1" | cut -c1-24)/api/top")" = 404
    pg_sql "DROP TRIGGER refuse ON pprofweb_profiles; DROP FUNCTION refuse()"
fi
check "empty upload: 400" test "$(post /api/upload --data-binary '')" = 400
check "GET /api/upload: 405" test "$(get /api/upload)" = 405
check "hostile multipart: 400" test "$(post /api/upload -H 'Content-Type: multipart/form-data; boundary=zz' --data-binary $'--zz\r\nX: y')" = 400
check "cross-origin upload refused" test "$(post /api/upload -H 'Origin: http://evil.example' --data-binary @"$CPU")" = 403

# Concurrent uploads: 8 of the same bytes and 8 different profiles at once.
for i in $(seq 1 8); do
    printf 'goroutine profile: total %d\n%d @ 0x%x\n' "$i" "$i" "$((4096 + i))" > "$TMP/g$i.txt"
done
for i in $(seq 1 8); do
    curl -s -m 60 -o /dev/null -w '%{http_code}\n' --data-binary @"$HEAP1" "$URL/api/upload" > "$TMP/same$i" &
    curl -s -m 60 -o /dev/null -w '%{http_code}\n' --data-binary @"$TMP/g$i.txt" "$URL/api/upload" > "$TMP/diff$i" &
done
wait $(jobs -p | grep -v "^$SRV_PID\$") 2>/dev/null
check "16 concurrent uploads answered 200" test "$(cat "$TMP"/same* "$TMP"/diff* | sort -u)" = 200
check "concurrent uploads stored once each" test "$(n_meta):$(n_tmp)" = "12:0"

# Hostile names: a file name and function names that are HTML are served JSON-escaped.
python3 - "$TMP/xss.pb" <<'PY'
import sys
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
def f(num, wire, payload): return varint(num << 3 | wire) + payload
def v(num, x): return f(num, 0, varint(x))
def b(num, data): return f(num, 2, varint(len(data)) + data)
strings = [b"", b"samples", b"count", b"<script>alert(1)</script>", b'"><svg onload=alert(1) x=', b"x.go"]
p = b(1, v(1, 1) + v(2, 2))
p += b(2, b(1, varint(1) + varint(2)) + b(2, varint(5)))
for i in (1, 2):
    p += b(4, v(1, i) + b(4, v(1, i) + v(2, 10 * i)))
    p += b(5, v(1, i) + v(2, 2 + i) + v(3, 2 + i) + v(4, 5))
for s in strings: p += b(6, s)
open(sys.argv[1], "wb").write(p)
PY
st=$(post "/api/upload?name=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.pb" --data-binary @"$TMP/xss.pb")
check "HTML-named profile uploaded ($st)" test "$st" = 200
XID=$(json 'd["id"]')
check "upload answer escapes the name" grep -q '"name":"\\u003cimg src=x onerror=alert(1)\\u003e.pb"' "$TMP/body"
get /api/store > /dev/null
check "listing escapes the name" grep -q '"name":"\\u003cimg src=x onerror=alert(1)\\u003e.pb"' "$TMP/body"
check "listing has no raw <" sh -c "! grep -q '<' '$TMP/body'"
get "/p/$XID/api/top" > /dev/null
check "function name served escaped" grep -q '\\"\\u003e\\u003csvg onload=alert' "$TMP/body"
check "top has no raw < or >" sh -c "! grep -q '[<>]' '$TMP/body'"

# Names are simplified as pprof does by default (<...> and (...) dropped, so the <script> name is
# "alert"); with -symbolize=none, stored profiles keep them exactly, still served escaped.
check "default symbolization simplifies the <script> name" grep -q '"name":"alert"' "$TMP/body"
stop_server > /dev/null
start_server -store "$STORE" -symbolize=none || finish
get "/p/$XID/api/top" > /dev/null
check "-symbolize=none: the <script> function name served escaped" grep -q '"name":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"' "$TMP/body"
check "-symbolize=none: no raw < or >" bash -c "! grep -q '[<>]' '$TMP/body'"

# Ids never reach the file system unchecked.
for p in "/p/..%2f..%2fetc%2fpasswd/api/top" "/p/$(tr a-f A-F <<< "$ID")/api/top" \
         "/p/${ID}0/api/top" "/p/.meta/api/top" "/p/0123456789abcdef01234567/api/top"; do
    st=$(get "$p")
    check "$p: 404 ($st)" test "$st" = 404
done
check "server alive" kill -0 "$SRV_PID"
check "SIGTERM stops the server" stop_server

# --- a restart on the same store: every link still works ---
start_server -store "$STORE" || finish
check "old link after restart" test "$(get "/p/$ID/api/top")" = 200
check "old link has the same numbers" diff -q <(python3 tests/http/json2text.py top < "$TMP/body") <("$BIN" -top "$CPU" 2> /dev/null)
check "old page after restart" test "$(get "/p/$HEAP_ID/ui/flamegraph")" = 200
check "listing after restart" test "$(get /api/store > /dev/null; json 'len(d["profiles"])')" = 13
stop_server > /dev/null

# --- a command-line file gets the id an upload of it gets, and stays in the store ---
start_server -store "$STORE" "$HEAP1" || finish
HID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "command-line id is the content id" test "$HID" = "$(sha256sum "$HEAP1" | cut -c1-24)"
check "default view still at /ui/" test "$(get /ui/top)" = 200
stop_server > /dev/null
start_server -store "$STORE" || finish
check "command-line profile's link after a restart without it" test "$(get "/p/$HID/api/meta")" = 200
stop_server > /dev/null

# --- a command-line file kept in a store that lacks it: its bytes as read, under its name ---
FRESH=$TMP/fresh-store
start_server -store "$FRESH" "$CPU" || finish
FID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "command-line file stored as its bytes" cmp -s "$FRESH/$FID.prof" "$CPU"
check "command-line file stored under its name" grep -qx "name $(basename "$CPU")" "$FRESH/$FID.meta"
stop_server > /dev/null
start_server -store "$FRESH" || finish
check "its link after a restart without it" test "$(get "/p/$FID/api/top")" = 200
stop_server > /dev/null

# --- -max_upload ---
check "bad -max_upload: exit 2" sh -c "'$BIN' -http=127.0.0.1:0 -no_browser -max_upload=lots > /dev/null 2>&1; test \$? = 2"
start_server -store "$STORE" -max_upload=4KB || finish
before=$(n_meta)
st=$(post /api/upload --data-binary @"$CPU")
check "oversize upload: 413 ($st)" test "$st" = 413
check "oversize upload: message" grep -q 'too large' "$TMP/body"
st=$(post /api/upload -H 'Transfer-Encoding: chunked' --data-binary @"$CPU")
check "oversize chunked upload: 413 ($st)" test "$st" = 413
head -c $((64 << 20)) /dev/zero > "$TMP/big"
st=$(post /api/upload --data-binary @"$TMP/big" -m 20)
check "64 MB upload refused early: 413 ($st)" test "$st" = 413
rm -f "$TMP/big"
check "oversize: nothing stored, no temporary files" test "$(n_meta):$(n_tmp)" = "$before:0"
check "under the limit still fine" test "$(post /api/upload --data-binary @"$HEAP")" = 200
stop_server > /dev/null

# --- live profiles from a local HTTP server ---
WEB=$TMP/web
mkdir -p "$WEB"
cp "$CPU" "$WEB/cpu.pb.gz"
printf '<html>not a profile</html>\n' > "$WEB/page.html"
timeout 300 python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$WEB" > "$TMP/web.out" 2>&1 &
WEB_PID=$!
WPORT=
for _ in $(seq 1 100); do
    WPORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$TMP/web.out" | head -1)
    [ -n "$WPORT" ] && break
    sleep 0.1
done
if [ -z "$WPORT" ]; then
    bad "local http server did not start: $(cat "$TMP/web.out")"
else
    LIVE=http://127.0.0.1:$WPORT
    # A port that was free a moment ago: nothing listens there.
    CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

    store_reset
    start_server -store "$STORE" "$LIVE/cpu.pb.gz" || finish
    LID=$(curl -s "$URL/api/meta" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    check "URL argument: content id" test "$LID" = "$(sha256sum "$CPU" | cut -c1-24)"
    check "URL argument: stored, named by its URL" test "$(get /api/store > /dev/null; json 'd["profiles"][0]["name"]')" = "$LIVE/cpu.pb.gz"
    curl -s "$URL/api/top" | python3 tests/http/json2text.py top > "$TMP/web.txt"
    check "URL argument: same numbers as the file" diff -q <("$BIN" -top "$CPU" 2> /dev/null) "$TMP/web.txt"
    stop_server > /dev/null

    start_server -store "$STORE" || finish
    check "URL argument's link after a restart" test "$(get "/p/$LID/api/meta")" = 200
    st=$(post /api/fetch --data-urlencode "url=$LIVE/cpu.pb.gz")
    check "POST /api/fetch: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
    check "fetch: content id" test "$(json 'd["id"]')" = "$LID"
    st=$(post "/api/fetch?url=127.0.0.1:$WPORT/cpu.pb.gz&seconds=1" -d "")
    check "fetch with seconds and no scheme: 200 ($st $(head -c 200 "$TMP/body"))" test "$st" = 200
    check "the same bytes fetched again keep their id and first name" test "$(json 'd["id"]+" "+d["profiles"][0]["name"]')" = "$LID $LIVE/cpu.pb.gz"
    check "the local server saw ?seconds=1" grep -q 'GET /cpu.pb.gz?seconds=1 ' "$TMP/web.out"
    st=$(post /api/fetch --data-urlencode "url=http://127.0.0.1:$CLOSED/debug/pprof/heap")
    check "fetch, connection refused: 502 ($st)" test "$st" = 502
    check "fetch, connection refused: message ($(head -c 200 "$TMP/body"))" grep -qi 'refused\|connect' "$TMP/body"
    st=$(post /api/fetch --data-urlencode "url=$LIVE/nosuch.pb.gz")
    check "fetch, 404: 502 ($st)" test "$st" = 502
    check "fetch, 404: message ($(head -c 200 "$TMP/body"))" grep -q 'server response: 404' "$TMP/body"
    st=$(post /api/fetch --data-urlencode "url=$LIVE/page.html")
    check "fetch, not a profile: 422 ($st)" test "$st" = 422
    check "fetch, not a profile: names the URL" grep -q "page.html" "$TMP/body"
    check "fetch without url: 400" test "$(post /api/fetch --data-urlencode 'seconds=3')" = 400
    check "fetch, bad seconds: 400" test "$(post /api/fetch --data-urlencode "url=$LIVE/cpu.pb.gz" --data-urlencode 'seconds=-1')" = 400
    check "fetch errors stored nothing" test "$(n_meta):$(n_tmp)" = "1:0"
    stop_server > /dev/null
fi

# --- the access token ---
check "-private without a token: exit 2" sh -c "'$BIN' -http=127.0.0.1:0 -no_browser -private > /dev/null 2>&1; test \$? = 2"
start_server -store "$STORE" -auth_token=s3cret || finish
check "upload without the token: 401" test "$(post /api/upload --data-binary @"$HEAP1")" = 401
check "401 says what to send" grep -q 'Bearer' "$TMP/body"
check "upload with a wrong token: 401" test "$(post /api/upload -H 'Authorization: Bearer nope' --data-binary @"$HEAP1")" = 401
check "upload with the token: 200" test "$(post /api/upload -H 'Authorization: Bearer s3cret' --data-binary @"$HEAP1")" = 200
check "fetch without the token: 401" test "$(post /api/fetch --data-urlencode "url=http://127.0.0.1:1/")" = 401
check "reading needs no token without -private" test "$(get "/p/$ID/api/top")" = 200
stop_server > /dev/null

start_server -store "$STORE" -auth_token=s3cret -private "$CPU" || finish
check "-private: API without the token: 401" test "$(get /api/top)" = 401
check "-private: JSON message" grep -q '"status":401' "$TMP/body"
check "-private: page without the token: 401 sign-in form" test "$(get /ui/)" = 401
check "-private: sign-in form" grep -q 'name="token"' "$TMP/body"
check "-private: static files too" test "$(get /static/app.js)" = 401
check "-private: listing too" test "$(get /api/store)" = 401
check "-private: with the token: 200" test "$(get /api/top -H 'Authorization: Bearer s3cret')" = 200
check "-private: wrong ?token=: 401" test "$(get '/ui/top?token=nope')" = 401
curl -s -D "$TMP/h" -o /dev/null "$URL/ui/top?si=cpu&token=s3cret"
check "-private: ?token= redirects without it" grep -qi '^location: /ui/top?si=cpu' "$TMP/h"
check "-private: ?token= sets an HttpOnly cookie" grep -qi '^set-cookie: pprofweb_token=[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict' "$TMP/h"
COOKIE=$(sed -n 's/^[Ss]et-[Cc]ookie: \(pprofweb_token=[0-9a-f]*\).*/\1/p' "$TMP/h")
check "-private: cookie does not hold the token" bash -c "! grep -q s3cret <<< '$COOKIE'"
check "-private: the cookie opens pages" test "$(get /ui/top -H "Cookie: a=b; $COOKIE")" = 200
check "-private: the cookie opens the API" test "$(get /api/meta -H "Cookie: $COOKIE")" = 200
check "-private: the cookie allows uploads" test "$(post /api/upload -H "Cookie: $COOKIE" --data-binary @"$HEAP1")" = 200
check "-private: a forged cookie does not" test "$(get /api/meta -H 'Cookie: pprofweb_token=s3cret')" = 401
stop_server > /dev/null

check "an unusable -store is an error" sh -c "'$BIN' -http=127.0.0.1:0 -no_browser -store /proc/nonexistent/x > /dev/null 2>&1; test \$? = 1"
if [ "$BACKEND" = postgresql ]; then
    "$BIN" -http=127.0.0.1:0 -no_browser -store "postgresql://postgres@/postgres?host=$TMP/none" > /dev/null 2> "$TMP/err"
    check "a database that cannot be reached: exit 1 ($?)" test "$?" = 1
    check "... with a clear message ($(head -c 300 "$TMP/err"))" grep -q 'database unavailable:.*No such file' "$TMP/err"
    check "-max_upload past what a database takes: exit 2" sh -c "'$BIN' -http=127.0.0.1:0 -no_browser -store '$STORE' -max_upload=1GB > /dev/null 2>&1; test \$? = 2"
fi

kill "$WEB_PID" 2>/dev/null
wait "$WEB_PID" 2>/dev/null
WEB_PID=
finish
