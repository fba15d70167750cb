#!/usr/bin/env bash
# `vigil user` and `vigil token` on a fresh data directory: users added,
# listed, refused (duplicate, weak password, bad names and roles), passwords
# changed, users disabled and deleted; tokens created (printed alone on
# stdout), listed without their secret, revoked. auth.db stays private and
# holds only hashes.
set -euo pipefail
: "${VIGIL:?}" "${TMP:?}"
D=$TMP/data
fail() { echo "FAIL: $*"; exit 1; }
# run EXPECTED_STATUS CMD...: run a vigil command, keep stdout and stderr.
run() {
	local want=$1 rc=0
	shift
	"$VIGIL" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "vigil $*: status $rc, want $want; stderr: $(cat "$TMP/err")"
}
lines() { wc -l < "$1" | tr -d ' '; }

# Adding with a generated password: the password alone on stdout.
run 0 user add alice --role analyst --data "$D"
[ "$(lines "$TMP/out")" -eq 1 ] || fail "add printed $(cat "$TMP/out")"
grep -Eqx '[A-HJ-NP-Za-km-z2-9]{22}' "$TMP/out" || fail "generated password: $(cat "$TMP/out")"
grep -q "shown only this once" "$TMP/err" || fail "no notice: $(cat "$TMP/err")"
alice_pw=$(cat "$TMP/out")
[ "$(stat -c %a "$D/auth.db")" = 600 ] || fail "auth.db mode $(stat -c %a "$D/auth.db")"

# With a password on stdin: nothing on stdout.
echo "correct horse battery staple" | run 0 user add root --role admin --password-stdin --data "$D"
[ ! -s "$TMP/out" ] || fail "add --password-stdin printed $(cat "$TMP/out")"
printf 'another fine passphrase\r\n' | run 0 user add ingester --role ingest --password-stdin --data "$D"

run 0 user list --data "$D"
grep -Eq '^alice +analyst +[0-9T:.-]+Z +enabled$' "$TMP/out" || fail "list: $(cat "$TMP/out")"
grep -Eq '^root +admin ' "$TMP/out" || fail "list: $(cat "$TMP/out")"
[ "$(lines "$TMP/out")" -eq 4 ] || fail "list has $(lines "$TMP/out") lines"
run 0 user list --output json --data "$D"
python3 - "$TMP/out" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))["users"]
assert [x["name"] for x in u] == ["alice", "ingester", "root"], u
assert [x["role"] for x in u] == ["analyst", "ingest", "admin"], u
assert all(isinstance(x["created"], int) and x["disabled"] is False for x in u), u
PY
run 0 user list --output csv --data "$D"
[ "$(head -1 "$TMP/out")" = "name,role,created,disabled" ] || fail "csv header"
grep -Eq '^alice,analyst,[0-9]+,false$' "$TMP/out" || fail "csv: $(cat "$TMP/out")"

# Refusals: status 1, a message that says why, nothing changed.
run 1 user add alice --role admin --data "$D"
grep -q "already exists" "$TMP/err" || fail "duplicate: $(cat "$TMP/err")"
echo "short" | run 1 user add bob --role analyst --password-stdin --data "$D"
grep -q "at least 12 characters" "$TMP/err" || fail "weak: $(cat "$TMP/err")"
run 1 user add bob --role superuser --data "$D"
grep -q "roles are admin, analyst and ingest" "$TMP/err" || fail "role: $(cat "$TMP/err")"
run 1 user add bob --data "$D"
grep -q -- "--role is required" "$TMP/err" || fail "no role: $(cat "$TMP/err")"
run 1 user add Bob --role analyst --data "$D"
grep -q "lowercase" "$TMP/err" || fail "name: $(cat "$TMP/err")"
run 1 user add "b b" --role analyst --data "$D"
run 1 user add --role analyst --data "$D"
run 1 user add bob carl --role analyst --data "$D"
run 1 user del alice --role admin --data "$D"
grep -q -- "--role does not apply" "$TMP/err" || fail "option check: $(cat "$TMP/err")"
run 1 user frob --data "$D"
run 1 user
run 0 user list --data "$D"
[ "$(lines "$TMP/out")" -eq 4 ] || fail "refusals changed the users"
[ ! -e "$TMP/nothere" ] || fail "setup"
run 1 user list --data "$TMP/nothere"
grep -q "does not exist" "$TMP/err" || fail "missing store: $(cat "$TMP/err")"
[ ! -e "$TMP/nothere" ] || fail "a list created a data directory"

# Only hashes are stored.
if command -v sqlite3 > /dev/null; then
	[ "$(sqlite3 "$D/auth.db" "SELECT count(*) FROM users WHERE hash LIKE '\$argon2id\$%'")" = 3 ] ||
		fail "hashes are not Argon2id"
	sqlite3 "$D/auth.db" .dump | grep -q "$alice_pw" && fail "a password is stored in the clear"
	sqlite3 "$D/auth.db" .dump | grep -q "horse" && fail "a password is stored in the clear"
fi

# Changing a password: from stdin (silent), generated (printed), refused.
h1=$(sqlite3 "$D/auth.db" "SELECT hash FROM users WHERE name = 'alice'" 2> /dev/null || true)
echo "a brand new passphrase" | run 0 user passwd alice --password-stdin --data "$D"
[ ! -s "$TMP/out" ] || fail "passwd printed"
h2=$(sqlite3 "$D/auth.db" "SELECT hash FROM users WHERE name = 'alice'" 2> /dev/null || true)
[ -z "$h1" ] || [ "$h1" != "$h2" ] || fail "passwd did not change the hash"
run 0 user passwd alice --data "$D"
grep -Eqx '[A-HJ-NP-Za-km-z2-9]{22}' "$TMP/out" || fail "passwd generated: $(cat "$TMP/out")"
echo "tiny" | run 1 user passwd alice --password-stdin --data "$D"
run 1 user passwd nobody --data "$D"
grep -q "no user 'nobody'" "$TMP/err" || fail "passwd unknown: $(cat "$TMP/err")"

# Disabling and enabling.
run 0 user disable alice --data "$D"
run 0 user list --data "$D"
grep -Eq '^alice +analyst .* disabled$' "$TMP/out" || fail "disable: $(cat "$TMP/out")"
run 0 user enable alice --data "$D"
run 0 user list --data "$D"
grep -Eq '^alice +analyst .* enabled$' "$TMP/out" || fail "enable: $(cat "$TMP/out")"
run 1 user disable root --data "$D"
grep -q "last enabled admin" "$TMP/err" || fail "disable last admin: $(cat "$TMP/err")"

# Tokens: the token alone on stdout.
run 0 token create --role ingest --name "filebeat, web-1" --owner ingester --data "$D"
[ "$(lines "$TMP/out")" -eq 1 ] || fail "create printed $(cat "$TMP/out")"
grep -Eqx 'vgt_[0-9a-f]{16}_[0-9a-f]{64}' "$TMP/out" || fail "token: $(cat "$TMP/out")"
tok=$(cat "$TMP/out")
id=${tok:4:16}
secret=${tok:21}
tok2=$("$VIGIL" token create --role analyst --data "$D" 2> /dev/null)
[ "$tok2" != "$tok" ] || fail "same token twice"
run 1 token create --data "$D"
run 1 token create --role ingest --owner nobody --data "$D"
grep -q "no user 'nobody'" "$TMP/err" || fail "owner: $(cat "$TMP/err")"
run 1 token create --role ingest --password-stdin --data "$D"

run 0 token list --data "$D"
grep -Eq "^$id +ingest +ingester +[0-9T:.-]+Z +- +active +filebeat, web-1\$" "$TMP/out" ||
	fail "token list: $(cat "$TMP/out")"
[ "$(lines "$TMP/out")" -eq 3 ] || fail "token list lines"
grep -q "${secret:0:16}" "$TMP/out" && fail "token list shows the secret"
run 0 token list --output csv --data "$D"
grep -Eq "^$id,\"filebeat, web-1\",ingest,ingester,[0-9]+,0,0\$" "$TMP/out" ||
	fail "token csv: $(cat "$TMP/out")"
run 0 token list --output json --data "$D"
python3 - "$TMP/out" "$id" "$secret" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
assert sys.argv[3] not in raw
t = json.loads(raw)["tokens"]
assert t[0]["id"] == sys.argv[2] and t[0]["role"] == "ingest" and t[0]["owner"] == "ingester", t
assert t[0]["revoked"] == 0 and t[1]["owner"] is None, t
PY
if command -v sqlite3 > /dev/null; then
	sqlite3 "$D/auth.db" .dump | grep -qi "${secret:0:16}" && fail "a token secret is stored"
fi

# Revoking: by id, again (refused), unknown and malformed ids, by token.
run 0 token revoke "$id" --data "$D"
run 0 token list --data "$D"
grep -Eq "^$id .* revoked +filebeat" "$TMP/out" || fail "revoked: $(cat "$TMP/out")"
run 1 token revoke "$id" --data "$D"
grep -q "already revoked" "$TMP/err" || fail "revoke twice: $(cat "$TMP/err")"
run 1 token revoke 0123456789abcdef --data "$D"
run 1 token revoke "not-an-id" --data "$D"
run 1 token revoke --data "$D"
run 0 token revoke "$tok2" --data "$D"
run 0 token list --output json --data "$D"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tokens"]; assert all(x["revoked"] > 0 for x in t), t' "$TMP/out"

# Deleting: the user goes, its tokens stay revoked in the list.
"$VIGIL" token create --role ingest --owner alice --data "$D" > /dev/null 2>&1
run 0 user del alice --data "$D"
run 0 user list --data "$D"
grep -q "^alice " "$TMP/out" && fail "alice still listed"
run 1 user del alice --data "$D"
run 0 token list --output json --data "$D"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tokens"]; assert t[2]["owner"] == "alice" and t[2]["revoked"] > 0, t' "$TMP/out"
run 1 user del root --data "$D"
grep -q "last enabled admin" "$TMP/err" || fail "del last admin: $(cat "$TMP/err")"

# Another process holding auth.db's write lock (as the server does for a
# moment) makes the CLI wait its turn, not fail.
if command -v sqlite3 > /dev/null; then
	sqlite3 "$D/auth.db" "BEGIN IMMEDIATE;" "UPDATE users SET created = created;" \
		".shell sleep 1" "COMMIT;" &
	holder=$!
	sleep 0.3
	run 0 token create --role ingest --name "while locked" --data "$D"
	wait "$holder"
	grep -Eqx 'vgt_[0-9a-f]{16}_[0-9a-f]{64}' "$TMP/out" || fail "token while locked"
fi

# Help.
run 0 help user
grep -q "password-stdin" "$TMP/out" || fail "help user"
run 0 help token
grep -q "vgt_" "$TMP/out" || fail "help token"
[ "$(stat -c %a "$D/auth.db")" = 600 ] || fail "auth.db mode changed"
echo "users e2e ok"
