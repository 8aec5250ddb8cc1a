#!/usr/bin/env bash
# attls status: the TLS connections of an nginx and a redis under attls at
# once, as a table, JSON and Prometheus text (read back by
# prometheus_client's parser), with the filters and --policy; a table
# another user cannot read; a killed process's table removed; a closed
# connection gone from the table. attls_query from examples/query, with
# and without attls.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
not() { ! "$@"; }
PY=/usr/bin/python3
make_pki
make_files
NP=$(free_port)
RP=$(free_port)
QP=$(free_port)
# policy FILE PORT: PORT inbound, client certificates required.
auth_policy() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security mutual]
client_auth = required
[traffic in_$2]
direction = inbound
local_port = $2
keyring = srv
security = mutual
EOF2
}
auth_policy "$WORK/n.ini" "$NP"
chmod 600 "$WORK/n.ini" # root's: the workers, which become nobody, may not read it
auth_policy "$WORK/r.ini" "$RP"
start_nginx "$WORK/n.ini" "$NP" 1 || exit 1
start_redis "$WORK/r.ini" "$RP" || exit 1
WORKER=$(pgrep -P "$NGINX_PID" nginx | head -1)
say "nginx master $NGINX_PID, worker $WORKER; redis $REDIS_PID"

# hold KIND PORT N NAME: N connections held open by a client; "LPORT IN OUT" lines in $WORK/NAME.
hold() {
	mkfifo "$WORK/$4.in"
	exec {HOLD_FD}<>"$WORK/$4.in" # a writer first: the reader's open does not wait
	bg "$PY" "$TOP/tests/integration/py/hold_tls.py" "$2" "$PKI/ca.pem" "$PKI/client.pem" \
		"$PKI/client.key" "$1" "$3" "$WORK/$4" "$WORK/$4.in"
	for _ in $(seq 100); do grep -q '^ok$' "$WORK/$4" 2>/dev/null && return 0; sleep 0.1; done
	say "$4: the connections were not made"
	return 1
}
hold http "$NP" 2 nconns || exit 1
NHOLD=$BGPID
NFD=$HOLD_FD
hold redis "$RP" 3 rconns || exit 1
RHOLD=$BGPID
RFD=$HOLD_FD
SERIAL=$(openssl x509 -in "$PKI/client.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' |
	sed 's/../&:/g; s/:$//')

"$ATTLS" status >"$WORK/table" 2>"$WORK/table.err"
check "attls status exits 0" [ $? = 0 ]
sed 's/^/    /' "$WORK/table"
check "the table shows the nginx worker with its policy" \
	grep -q "^PID $WORKER  job nginx  user nobody  policy $WORK/n.ini" "$WORK/table"
check "the table shows redis with its policy" \
	grep -q "^PID $REDIS_PID  job redis-server  user root  policy $WORK/r.ini" "$WORK/table"
check "the table shows 2 secure TLSv1.3 inbound connections to nginx, on its descriptor" \
	[ "$(grep -cE "inbound +127.0.0.1:$NP +127.0.0.1:[0-9]+ +in_$NP +secure +TLSv1.3" "$WORK/table")" = 2 ]
check "the table shows 3 to redis" \
	[ "$(grep -cE "inbound +127.0.0.1:$RP +127.0.0.1:[0-9]+ +in_$RP +secure +TLSv1.3" "$WORK/table")" = 3 ]
check "the table shows the peer's subject, issuer and serial" \
	grep -q "peer /O=attls test/CN=test client  issuer /O=attls test/CN=attls test CA  serial $SERIAL" "$WORK/table"

"$ATTLS" status --json >"$WORK/json"
check "--json: every field right for each held connection (python3 json)" "$PY" - "$WORK/json" \
	"$WORKER" "$REDIS_PID" "$NP" "$RP" "$WORK/nconns" "$WORK/rconns" "$SERIAL" "$WORK" <<'EOF2'
import json, sys, time
doc = json.load(open(sys.argv[1]))
worker, redis, np_, rp, nfile, rfile, serial, work = sys.argv[2:]
procs = {p["pid"]: p for p in doc["processes"]}
assert len(procs) == len(doc["processes"]), "a process listed twice: %s" % doc
def check(pid, port, held, job, user, pol):
    p = procs[int(pid)]
    assert (p["jobname"], p["user"], p["policy"]) == (job, user, pol), p
    assert abs(time.mktime(time.strptime(p["policy_loaded"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(time.gmtime())) < 300
    conns = {c["remote"]: c for c in p["connections"]}
    lines = [l.split() for l in open(held) if l.strip() != "ok"]
    for lport, bin_, bout in lines:
        c = conns["127.0.0.1:" + lport]
        assert c["local"] == "127.0.0.1:" + port and c["direction"] == "inbound", c
        assert c["descriptor"] == "in_" + port and c["state"] == "secure", c
        assert c["protocol"] == "TLSv1.3" and "AES" in c["cipher"], c
        assert c["resumed"] is False and c["device"], c
        assert c["peer"]["subject"] == "/O=attls test/CN=test client", c
        assert c["peer"]["issuer"] == "/O=attls test/CN=attls test CA", c
        assert c["peer"]["serial"] == serial, (c, serial)
        assert time.strptime(c["peer"]["not_after"], "%Y-%m-%dT%H:%M:%SZ") > time.gmtime(), c
        assert (c["bytes_in"], c["bytes_out"]) == (int(bin_), int(bout)), (c, bin_, bout)
        assert 0 <= c["idle_seconds"] <= c["age_seconds"] < 120, c
    assert len(lines) == len([c for c in p["connections"] if c["state"] == "secure"]), p
check(worker, np_, nfile, "nginx", "nobody", work + "/n.ini")
check(redis, rp, rfile, "redis-server", "root", work + "/r.ini")
EOF2

"$ATTLS" status --prometheus >"$WORK/prom"
check "--prometheus: prometheus_client's parser reads it; info, bytes, age and expiry per connection" \
	"$PY" - "$WORK/prom" "$REDIS_PID" "$RP" "$WORK/rconns" "$WORKER" <<'EOF2'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
redis, rp, rfile, worker = sys.argv[2:]
info = [s for s in fams["attls_connection_info"].samples if s.labels["pid"] == redis]
assert len(info) == 3, info
for s in info:
    l = s.labels
    assert s.value == 1 and l["jobname"] == "redis-server" and l["descriptor"] == "in_" + rp, l
    assert l["state"] == "secure" and l["protocol"] == "TLSv1.3" and l["direction"] == "inbound", l
    assert l["peer_subject"] == "/O=attls test/CN=test client", l
    assert l["device"] in ("cpu", "software"), l
assert fams["attls_connection_received_bytes"].type == "counter"
got = {s.labels["remote"]: s.value for s in fams["attls_connection_received_bytes"].samples
       if s.labels["pid"] == redis}
for line in open(rfile):
    if line.strip() != "ok":
        lport, bin_, bout = line.split()
        assert got["127.0.0.1:" + lport] == int(bin_), (got, line)
sent = [s for s in fams["attls_connection_sent_bytes"].samples if s.labels["pid"] == worker]
assert len(sent) == 2 and all(s.value > 1024 for s in sent), sent
assert len([s for s in fams["attls_connection_peer_cert_expiry_timestamp_seconds"].samples
            if s.labels["pid"] in (redis, worker)]) == 5
procs = {s.labels["pid"]: s.labels for s in fams["attls_process_info"].samples}
assert procs[redis]["jobname"] == "redis-server" and procs[worker]["user"] == "nobody", procs
EOF2

"$ATTLS" status --pid "$REDIS_PID" >"$WORK/f1"
check "--pid: only that process" bash -c "grep -q '^PID $REDIS_PID ' '$WORK/f1' && ! grep -q '^PID $WORKER ' '$WORK/f1'"
"$ATTLS" status --jobname 'ngi*' >"$WORK/f2"
check "--jobname: only nginx" bash -c "grep -q '^PID $WORKER ' '$WORK/f2' && ! grep -q '^PID $REDIS_PID ' '$WORK/f2'"
"$ATTLS" status --descriptor "in_$RP" --json >"$WORK/f3"
check "--descriptor: only redis's connections" "$PY" -c "
import json, sys
d = json.load(open('$WORK/f3'))
n = [len(p['connections']) for p in d['processes'] if p['connections']]
assert n == [3], d"
"$ATTLS" status --descriptor "in_$RP" >"$WORK/f4"
check "--descriptor (table): redis only, not the processes without such a connection" \
	bash -c "grep -q '^PID $REDIS_PID ' '$WORK/f4' && ! grep -q '^PID $WORKER ' '$WORK/f4' && ! grep -q '^PID $NGINX_PID ' '$WORK/f4'"
"$ATTLS" status --descriptor "in_$RP" --prometheus >"$WORK/f6"
check "--descriptor (Prometheus, JSON): only redis's process too" \
	bash -c "! grep -q 'pid=\"$WORKER\"' '$WORK/f6' && grep -q 'pid=\"$REDIS_PID\"' '$WORK/f6' &&
		[ \"\$('$ATTLS' status --descriptor 'in_$RP' --json | grep -o '\"pid\": [0-9]*' | sort -u)\" = '\"pid\": $REDIS_PID' ]"
"$ATTLS" status --pid 999999 >/dev/null 2>"$WORK/f5"
check "--pid of no process with attls: exit 2, said on stderr" \
	bash -c "[ $? = 2 ] && grep -q 'pid 999999: no process with attls loaded' '$WORK/f5'"
"$ATTLS" status --policy "$REDIS_PID" >"$WORK/pol"
check "--policy PID: the policy the process holds, as it was loaded" \
	bash -c "grep -q '^# policy $WORK/r.ini, loaded ' '$WORK/pol' && sed 1,2d '$WORK/pol' | cmp -s - '$WORK/r.ini'"
"$ATTLS" status --policy 1 >/dev/null 2>&1
check "--policy of a process without attls: exit 2" [ $? = 2 ]
"$ATTLS" status --policy "$NGINX_PID" >"$WORK/master.pol"
check "--policy of nginx's master, which has no connection of its own (made by fork)" \
	bash -c "grep -q '^# policy $WORK/n.ini, loaded ' '$WORK/master.pol' && sed 1,2d '$WORK/master.pol' | cmp -s - '$WORK/n.ini'"
"$ATTLS" status --policy "$WORKER" >"$WORK/worker.pol"
check "--policy of the worker (nobody, who may not read n.ini): the text is withheld" \
	bash -c "grep -q 'its text is not kept: the process.s user, nobody, may not read the policy file' '$WORK/worker.pol' && ! grep -q '^\[keyring' '$WORK/worker.pol'"
check "the worker does not map its master's table (it could write what status shows of it)" \
	bash -c "! grep -q '/run/attls/live/$NGINX_PID\.' /proc/$WORKER/maps"
"$ATTLS" status --json --prometheus >/dev/null 2>"$WORK/both.err"
check "--json with --prometheus: exit 2, one form at a time" \
	bash -c "[ $? = 2 ] && grep -q 'one form at a time' '$WORK/both.err'"

# A connection that ends leaves the table.
exec {RFD}>&-
stop "$RHOLD"
sleep 0.3
"$ATTLS" status --pid "$REDIS_PID" --json >"$WORK/after"
check "the closed connections are gone from redis's table" "$PY" -c "
import json
d = json.load(open('$WORK/after'))
assert d['processes'][0]['connections'] == [], d"

# A third process's table: root's, mode 0600; another user reads neither it nor its connections.
RD=$(ls /run/attls/live/"$REDIS_PID".*.tab)
check "redis's table is $RD, mode 600, root's" [ "$(stat -c %a:%U "$RD")" = 600:root ]
check "user nobody cannot read it" not setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$RD" 2>/dev/null
setpriv --reuid=nobody --regid=nogroup --clear-groups env -u XDG_RUNTIME_DIR "$ATTLS" status \
	--json >"$WORK/nobody" 2>"$WORK/nobody.err"
check "attls status as nobody: redis not listed, and says tables were not read" \
	bash -c "! grep -q '\"pid\": $REDIS_PID,' '$WORK/nobody' && grep -q 'not read (run as root)' '$WORK/nobody.err'"

# A process killed with SIGKILL leaves its table; the next reader removes it.
KP=$(free_port)
auth_policy "$WORK/k.ini" "$KP"
bg env ATTLS_CONFIG="$WORK/k.ini" LD_PRELOAD="$LIB" socat TCP-LISTEN:"$KP",bind=127.0.0.1,reuseaddr,fork EXEC:cat
KPID=$BGPID
wait_port "$KP"
KT=$(ls /run/attls/live/"$KPID".*.tab 2>/dev/null)
check "socat's table exists ($KT)" [ -n "$KT" ]
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
check "after kill -9 the table is left behind" [ -e "$KT" ]
"$ATTLS" status >/dev/null
check "attls status removed the table of the killed process" [ ! -e "$KT" ]

# fork and exec: a server forks for each connection and its child execs
# cat with the connection; the session handed across exec is listed in
# cat's table, and no longer in the server's, which has closed its copy.
FP=$(free_port)
auth_policy "$WORK/f.ini" "$FP"
bg env ATTLS_CONFIG="$WORK/f.ini" LD_PRELOAD="$LIB" "$PY" \
	"$TOP/tests/integration/py/fork_exec_server.py" "$FP" live /bin/cat
FPID=$BGPID
wait_port "$FP"
hold line "$FP" 1 fconns || exit 1
FHOLD=$BGPID
FFD=$HOLD_FD
sleep 0.5
CAT=$(pgrep -P "$FPID" cat | head -1)
"$ATTLS" status --json >"$WORK/fe.json"
check "the session handed across exec is listed under cat ($CAT), secure; the forking server lists it no more" \
	"$PY" - "$WORK/fe.json" "${CAT:-0}" "$FPID" "$FP" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
cat, server, port = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
procs = {p["pid"]: p for p in d["processes"]}
c = procs[cat]["connections"]
assert procs[cat]["jobname"] == "cat" and len(c) == 1, procs[cat]
assert c[0]["local"] == "127.0.0.1:" + port and c[0]["state"] == "secure", c
assert c[0]["descriptor"] == "in_" + port and c[0]["protocol"] == "TLSv1.3", c
assert procs[server]["connections"] == [], procs[server]
EOF2
check "after fork and exec, cat's row goes on from the server's: bytes (3 in, 10 out) and the client's certificate" \
	"$PY" - "$WORK/fe.json" "${CAT:-0}" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
c = [p for p in d["processes"] if p["pid"] == int(sys.argv[2])][0]["connections"][0]
assert (c["bytes_in"], c["bytes_out"]) == (3, 10), c
assert c["peer"]["subject"] == "/O=attls test/CN=test client", c
assert c["peer"]["issuer"] == "/O=attls test/CN=attls test CA" and c["peer"]["serial"], c
assert c["age_seconds"] >= 0.4, c
EOF2
exec {FFD}>&-
stop "$FHOLD"
stop "$FPID"

# A chain of execs: each image makes its table and the next removes the
# one before (its mapping did not survive the exec): one file for the pid.
bg env ATTLS_CONFIG="$WORK/k.ini" LD_PRELOAD="$LIB" sh -c 'exec sh -c "exec sh -c \"exec sleep 30\""'
EP=$BGPID
for _ in $(seq 50); do [ "$(cat /proc/$EP/comm 2>/dev/null)" = sleep ] && break; sleep 0.1; done
sleep 0.3
check "four images under one pid leave one table ($(ls /run/attls/live/"$EP".*.tab 2>/dev/null | wc -l))" \
	[ "$(ls /run/attls/live/"$EP".*.tab 2>/dev/null | wc -l)" = 1 ]
stop "$EP"

# examples/query: the client certificate's subject, asked through dlsym.
auth_policy "$WORK/q.ini" "$QP"
bg env ATTLS_CONFIG="$WORK/q.ini" LD_PRELOAD="$LIB" "$TOP/build/query_server" "$QP" >"$WORK/q.log" 2>&1
QPID=$BGPID
wait_port "$QP"
got=$(echo hi | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$QP" -CAfile "$PKI/ca.pem" \
	-cert "$PKI/client.pem" -key "$PKI/client.key" 2>/dev/null)
check "query_server under attls answers the client by its certificate's subject" \
	[ "$got" = "hello /O=attls test/CN=test client" ]
check "query_server logs descriptor, state, protocol and subject from attls_query" \
	grep -q "client: descriptor=in_$QP state=secure protocol=TLSv1.3 cipher=TLS13-.* subject=\"/O=attls test/CN=test client\" serial=$SERIAL" "$WORK/q.log"
stop "$QPID"
# Without client certificates, the example says so rather than "hello ".
QP3=$(free_port)
policy "$WORK/nq.ini" <<EOF2
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic in]
direction = inbound
local_port = $QP3
keyring = srv
EOF2
bg env ATTLS_CONFIG="$WORK/nq.ini" LD_PRELOAD="$LIB" "$TOP/build/query_server" "$QP3" >"$WORK/q3.log" 2>&1
QPID=$BGPID
wait_port "$QP3"
got=$(echo hi | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$QP3" -CAfile "$PKI/ca.pem" 2>/dev/null)
check "query_server, no client certificate: \"hello (no client certificate)\"" \
	[ "$got" = "hello (no client certificate)" ]
stop "$QPID"
"$ATTLS" reload 999999 2>"$WORK/r.err"
check "attls reload of a pid that does not exist: exit 1, \"no such process\"" \
	bash -c "[ $? = 1 ] && grep -q '^attls reload: 999999: no such process$' '$WORK/r.err'"
QP2=$(free_port)
bg "$TOP/build/query_server" "$QP2" >"$WORK/q2.log" 2>&1
QPID=$BGPID
wait_port "$QP2"
got=$(echo hi | timeout 10 socat - TCP:127.0.0.1:"$QP2")
check "query_server without attls runs unchanged: clear text, and says attls is not loaded" \
	bash -c "[ '$got' = hello ] && grep -q 'attls_query not found: no attls' '$WORK/q2.log' && grep -q 'client: clear text (attls not loaded)' '$WORK/q2.log'"
stop "$QPID"

# A forking server without exec (socat fork PIPE): its child, which
# serves the connection, lists it with its bytes; the parent, which
# closed its copy, is listed with no connection. A reload shows in
# attls status: the new text and time; a reload that fails is shown and
# the text in force stays.
SP=$(free_port)
auth_policy "$WORK/s.ini" "$SP"
bg env ATTLS_CONFIG="$WORK/s.ini" LD_PRELOAD="$LIB" socat TCP-LISTEN:"$SP",bind=127.0.0.1,reuseaddr,fork PIPE
SPID=$BGPID
wait_port "$SP"
hold line "$SP" 1 sconns || exit 1
SHOLD=$BGPID
SFD=$HOLD_FD
SCHILD=$(pgrep -P "$SPID" socat | head -1)
"$ATTLS" status --json >"$WORK/s.json"
check "socat's forked child ($SCHILD) lists the connection it serves, 3 bytes each way; the parent none" \
	"$PY" - "$WORK/s.json" "$SPID" "${SCHILD:-0}" "$SP" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
procs = {p["pid"]: p for p in d["processes"]}
parent, child, port = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert procs[parent]["connections"] == [], procs[parent]
c = procs[child]["connections"]
assert len(c) == 1 and c[0]["local"] == "127.0.0.1:" + port and c[0]["state"] == "secure", c
assert (c[0]["bytes_in"], c[0]["bytes_out"]) == (3, 3), c
assert c[0]["peer"]["subject"] == "/O=attls test/CN=test client", c
EOF2
"$ATTLS" status --pid "$SPID" >"$WORK/s.table"
check "the table shows the parent with no TLS connections" \
	bash -c "grep -q '^PID $SPID  job socat  user root  policy $WORK/s.ini (loaded ' '$WORK/s.table' && grep -q '^  no TLS connections' '$WORK/s.table'"
exec {SFD}>&-
stop "$SHOLD"
LOADED1=$(sed -n 's/.*, loaded \([^;]*\).*/\1/p' <("$ATTLS" status --policy "$SPID" | sed -n 2p))
sleep 1.1
{ cat "$WORK/s.ini"; echo "# edited for the reload"; } >"$WORK/s.ini.new"
mv "$WORK/s.ini.new" "$WORK/s.ini"
"$ATTLS" reload "$SPID" >/dev/null
# The reload happens at the next accept.
timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$PKI/ca.pem" -cert "$PKI/client.pem" \
	-key "$PKI/client.key" </dev/null >/dev/null 2>&1
"$ATTLS" status --policy "$SPID" >"$WORK/s.pol2"
LOADED2=$(sed -n '2s/.*, loaded \([^;]*\).*/\1/p' "$WORK/s.pol2")
check "after a reload, --policy shows the new text and a later load time ($LOADED1 -> $LOADED2)" \
	bash -c "sed 1,2d '$WORK/s.pol2' | cmp -s - '$WORK/s.ini' && [ -n '$LOADED1' ] && [ '$LOADED2' '>' '$LOADED1' ]"
cp "$WORK/s.ini" "$WORK/s.good"
{ cat "$WORK/s.ini"; echo "bogus_key = 1"; } >"$WORK/s.ini.new"
mv "$WORK/s.ini.new" "$WORK/s.ini"
"$ATTLS" reload "$SPID" >/dev/null
timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$PKI/ca.pem" -cert "$PKI/client.pem" \
	-key "$PKI/client.key" </dev/null >/dev/null 2>&1
"$ATTLS" status --policy "$SPID" >"$WORK/s.pol3"
check "a reload that fails: --policy says so and shows the text in force, loaded $LOADED2" \
	bash -c "grep -q '^# policy $WORK/s.ini, loaded $LOADED2; a reload failed .*, this one stays in force' '$WORK/s.pol3' && sed 1,2d '$WORK/s.pol3' | cmp -s - '$WORK/s.good'"
"$ATTLS" status --pid "$SPID" --json >"$WORK/s2.json"
check "--json: policy_state in force, reload_failed set" "$PY" -c "
import json
p = json.load(open('$WORK/s2.json'))['processes'][0]
assert p['policy_state'] == 'in force' and p['reload_failed'] and p['policy_loaded'] == '$LOADED2', p"
stop "$SPID"

# Bytes a program only peeks at are counted once, when it reads them.
PP=$(free_port)
auth_policy "$WORK/pk.ini" "$PP"
bg env ATTLS_CONFIG="$WORK/pk.ini" LD_PRELOAD="$LIB" "$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept()
c.recv(5, socket.MSG_PEEK); c.recv(5, socket.MSG_PEEK)
got = b""
while len(got) < 50:
    got += c.recv(50 - len(got))
c.sendall(b"x" * 20)
time.sleep(30)' "$PP"
PKPID=$BGPID
wait_port "$PP"
(head -c 50 /dev/zero | tr '\0' a; sleep 3) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PP" \
	-CAfile "$PKI/ca.pem" -cert "$PKI/client.pem" -key "$PKI/client.key" >/dev/null 2>&1 &
PKC=$!
for _ in $(seq 30); do
	"$ATTLS" status --pid "$PKPID" --json >"$WORK/pk.json"
	grep -q '"bytes_out": 20' "$WORK/pk.json" && break
	sleep 0.2
done
check "MSG_PEEK twice, then 50 bytes read: BYTES_IN is 50, BYTES_OUT 20" "$PY" -c "
import json
c = json.load(open('$WORK/pk.json'))['processes'][0]['connections'][0]
assert (c['bytes_in'], c['bytes_out']) == (50, 20), c"
kill "$PKC" 2>/dev/null
stop "$PKPID"

# A daemon: the process that loaded the policy forks and exits; its
# child, which has no connection, is listed with the policy.
env ATTLS_CONFIG="$WORK/k.ini" LD_PRELOAD="$LIB" "$PY" -c '
import os, sys, time
pid = os.fork()
if pid:
    open(sys.argv[1], "w").write(str(pid))
    os._exit(0)
time.sleep(30)' "$WORK/daemon.pid"
DPID=$(cat "$WORK/daemon.pid")
PIDS+=("$DPID")
"$ATTLS" status --policy "$DPID" >"$WORK/d.pol" 2>&1
check "a daemon's child ($DPID), made by fork with no connection, holds the policy" \
	bash -c "grep -q '^# policy $WORK/k.ini, loaded ' '$WORK/d.pol' && sed 1,2d '$WORK/d.pol' | cmp -s - '$WORK/k.ini'"
stop "$DPID"

# A program started with a policy that does not load (attls run
# --start-anyway) is listed, with no policy in force.
printf '[traffic t]\nlocal_port = 1\nkeyring = nowhere\n' >"$WORK/bad.ini"
bg "$ATTLS" run --start-anyway -c "$WORK/bad.ini" -- sleep 30 2>/dev/null
BPID=$BGPID
for _ in $(seq 50); do [ "$(cat /proc/$BPID/comm 2>/dev/null)" = sleep ] && break; sleep 0.1; done
sleep 0.2
"$ATTLS" status --pid "$BPID" >"$WORK/b.table"
"$ATTLS" status --pid "$BPID" --prometheus >"$WORK/b.prom"
check "a refused start is listed: no policy in force, every connect and accept refused" \
	bash -c "grep -q '^PID $BPID  job sleep  user root  policy $WORK/bad.ini: NONE IN FORCE' '$WORK/b.table' && grep -q '^attls_policy_in_force{pid=\"$BPID\",jobname=\"sleep\"} 0' '$WORK/b.prom'"
"$ATTLS" status --policy "$BPID" >"$WORK/b.pol"
check "--policy of it says why: the policy's errors, FILE:LINE" \
	bash -c "grep -q '^# policy $WORK/bad.ini: NONE IN FORCE' '$WORK/b.pol' && grep -q '^# $WORK/bad.ini:3: ' '$WORK/b.pol'"
stop "$BPID"

# A user's process whose $XDG_RUNTIME_DIR is not /run/user/UID: root finds its table anyway.
XD=$(mktemp -d /tmp/attls-xdg.XXXXXX)
chmod 755 "$XD"
mkdir "$XD/run"
chown nobody "$XD/run"
chmod 700 "$XD/run"
cp "$PKI/ca.pem" "$XD/ca.pem"
cat >"$XD/p.ini" <<EOF2
[keyring k]
ca = $XD/ca.pem
[traffic out]
direction = outbound
remote_port = 1
server_name = localhost
keyring = k
EOF2
chmod 644 "$XD/p.ini" "$XD/ca.pem"
bg setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR="$XD/run" \
	ATTLS_CONFIG="$XD/p.ini" LD_PRELOAD="$LIB" sleep 30
XPID=$BGPID
for _ in $(seq 50); do ls "$XD/run/attls/$XPID".*.tab >/dev/null 2>&1 && break; sleep 0.1; done
env -u XDG_RUNTIME_DIR "$ATTLS" status --pid "$XPID" >"$WORK/x.table"
check "root lists a process whose table is in another \$XDG_RUNTIME_DIR ($XD/run)" \
	grep -q "^PID $XPID  job sleep  user nobody  policy $XD/p.ini (loaded " "$WORK/x.table"
# attls reload by that user: the request goes where each process looks.
bg setpriv --reuid=nobody --regid=nogroup --clear-groups env -u XDG_RUNTIME_DIR \
	ATTLS_CONFIG="$XD/p.ini" LD_PRELOAD="$LIB" sleep 30
NXPID=$BGPID
mkdir "$XD/other"
chown nobody "$XD/other"
sleep 0.3
setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR="$XD/other" \
	"$ATTLS" reload "$XPID" >"$WORK/rx.out" 2>&1
check "attls reload as the user, its own XDG_RUNTIME_DIR elsewhere: the request goes to the process's ($?)" \
	[ -e "$XD/run/attls/reload.$XPID" ]
setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR="$XD/other" \
	"$ATTLS" reload "$NXPID" >"$WORK/rn.out" 2>&1
check "attls reload as the user of a process started without XDG_RUNTIME_DIR: exit 1, says only root may ($?)" \
	bash -c "[ $? = 1 ] && grep -q 'started without XDG_RUNTIME_DIR.*run attls reload as root' '$WORK/rn.out'"
rm -f "$XD/run/attls/reload.$XPID"
setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR="$XD/other" \
	"$ATTLS" reload --all >"$WORK/ra.out" 2>&1
check "attls reload --all as the user: asks the one it can reach, names the one only root can, exit 1 ($?)" \
	bash -c "[ $? = 1 ] && grep -q '^$XPID: reload asked' '$WORK/ra.out' &&
	 grep -q '^attls reload: $NXPID: it started without XDG_RUNTIME_DIR' '$WORK/ra.out'"
stop "$NXPID"
stop "$XPID"
rm -rf "$XD"
exec {NFD}>&-
stop "$NHOLD"
finish
