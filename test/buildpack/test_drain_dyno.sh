#!/usr/bin/env bash
# shellcheck disable=SC2015 # A && pass || fail is the idiom
# Drain mode on a dyno: an app built with the buildpack whose Procfile is
# `web: .dynostatsd/bin/dynostatsd drain`, booted as web.1 by the local Heroku simulator with
# PORT set, receives Logplex batches (test/fixtures/drain/mixed.logplex) on $PORT and reports
# the derived metrics in its log (l2met, no API key); wrong credentials get 401; SIGTERM stops it
# cleanly. Short: one build (cached across the buildpack tests), one dyno.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
BUILDPACK=$(t::snapshot)
SLUG="${WORK}/drain.tgz"
t::build "${FIXTURES}/drain-app" "$SLUG" --app-name shop-drain >"${WORK}/build.log" 2>&1 || {
  tail -n 30 "${WORK}/build.log"
  t::fail "slug build failed"
  t::finish
  exit 1
}
t::pass "drain app built with the buildpack"

port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret="drain-dyno-s3cret"
id=$("$HEROKU" dyno "$SLUG" --dyno web.1 --app-name shop-drain --port "$port" --detach \
  --env "DYNOSTATSD_DRAIN_CREDENTIALS=logplex:${secret}" --env DYNOSTATSD_DISABLE=1 \
  --env DYNOSTATSD_FLUSH_INTERVAL=1)
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'msg=ready'" && t::pass "drain ready in web.1" ||
  t::fail "no ready line: $("$HEROKU" logs "$id")"
t::contains "$("$HEROKU" logs "$id")" "drain=0.0.0.0:${port}" "the drain listens on 0.0.0.0:\$PORT"

post() {
  curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -u "$1" -H 'Content-Type: application/logplex-1' \
    -H 'Logplex-Msg-Count: 14' -H "Logplex-Frame-Id: $2" --data-binary "@${REPO}/test/fixtures/drain/mixed.logplex" \
    "http://127.0.0.1:${port}/logs/shop"
}
t::eq "$(post "logplex:${secret}" F0001)" 204 "a Logplex batch is answered 204"
t::eq "$(post "logplex:wrong" F0002)" 401 "wrong credentials get 401"
t::eq "$(post "logplex:${secret}" F0001)" 204 "a retried batch (same frame id) is answered 204"
requests='tags=app:shop,dyno:web.1,dynotype:web,method:GET,protocol:https,status:200,status_class:2xx .*count#heroku.router.requests=2( |$)'
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -qE '$requests'" && t::pass "router requests counted, once" ||
  t::fail "no router count in: $("$HEROKU" logs "$id" | grep heroku.router.requests | head -n 5)"
t::contains "$("$HEROKU" logs "$id")" "count#heroku.errors=1" "platform errors counted"
t::contains "$("$HEROKU" logs "$id")" "sample#heroku.dyno.memory.total=22020096" "runtime metrics as bytes"
t::not_contains "$("$HEROKU" logs "$id")" "$secret" "the credentials never appear in the dyno log"

"$HEROKU" stop "$id" >/dev/null 2>&1
t::contains "$("$HEROKU" logs "$id")" "msg=stopped" "SIGTERM stops the drain cleanly"
t::finish
