#!/bin/bash
# Runs INSIDE the throw-away root made by scripts/test-packaging (an overlay of this machine's
# root, discarded afterwards), as root: installs the three packages with apt as an operator
# would, then checks what the packages promise, from the installed paths only, as the tta user.
# $1: folder holding the .debs; $2: folder for logs (kept by the caller); $3: demo photos.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
debs=$1 logs=$2 photos=$3
passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...: the command must exit 0
  local what=$1; shift
  if "$@" >>"$logs/checks.log" 2>&1; then ok "$what"; else bad "$what (exit $?; $logs/checks.log)"; fi
}
as_tta() { runuser -u tta -- "$@"; }
finish() {
  if [[ -n ${sim_pid:-} ]]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; fi
  echo "installed: $passed passed, $failed failed"
  ((failed == 0))
}
trap 'finish; exit $?' EXIT

# --- install: apt resolves the Depends from what is installed here and, with no sources,
# can download nothing (--no-download trips over local .debs: "Pathname … is not absolute").
if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/nonexistent \
    "$debs"/tta-agent_*.deb "$debs"/tta-face-models_*.deb "$debs"/tta-platform-sim_*.deb \
    >"$logs/apt.log" 2>&1; then
  ok "apt install ./tta-agent_*.deb ./tta-face-models_*.deb ./tta-platform-sim_*.deb"
else
  bad "apt install (see $logs/apt.log)"; tail -20 "$logs/apt.log"; exit 1
fi
for p in tta-agent tta-face-models tta-platform-sim; do
  check "$p is installed" bash -c "dpkg-query -W -f='\${Status}' $p | grep -qx 'install ok installed'"
done

# --- what postinst made
check "user tta exists, in groups video and dialout" \
  bash -c 'id -nG tta | tr " " "\n" | grep -qx video && id -nG tta | tr " " "\n" | grep -qx dialout'
check "tta is a system user without a login shell" \
  bash -c '(( $(id -u tta) < 1000 )) && [[ $(getent passwd tta | cut -d: -f7) == /usr/sbin/nologin ]]'
check "/var/lib/tta is 0700 tta:tta" bash -c '[[ $(stat -c %a:%U:%G /var/lib/tta) == 700:tta:tta ]]'
for f in store.key control.token tta.db; do
  check "/var/lib/tta/$f made by postinst: 0600 tta" \
    bash -c "[[ \$(stat -c %a:%U /var/lib/tta/$f) == 600:tta ]]"
done
check "/etc/tta/agent.toml is a conffile" \
  bash -c "dpkg-query -W -f='\${Conffiles}' tta-agent | grep -q ' /etc/tta/agent.toml '"
check "the unit is installed" test -f /lib/systemd/system/tta-agent.service
check "the unit verifies" bash -c 'systemd-analyze verify /lib/systemd/system/tta-agent.service 2>&1 | tee /dev/stderr | (! grep -q .)'
check "systemd-analyze security --offline rates the unit at most 2.5" bash -c '
  e=$(systemd-analyze security --offline=yes /lib/systemd/system/tta-agent.service 2>&1 |
      sed -n "s/.*Overall exposure level for tta-agent.service: \([0-9.]*\).*/\1/p")
  echo "exposure $e"; [[ -n $e ]] && awk -v e="$e" "BEGIN { exit !(e <= 2.5) }"'
check "the man page renders" bash -c 'man -l /usr/share/man/man8/tta-agent.8.gz | grep -q "SEE ALSO"'
check "the camera plugin is in the multiarch lib folder" \
  test -f "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/tta/tta-camera-videoio.so"
check "the models match the SHA256SUMS of the package build" \
  bash -c 'cd /usr/share/tta/models && sha256sum --quiet -c SHA256SUMS'
check "the packaged config points at the packaged models and /var/lib/tta" \
  bash -c 'grep -qx "models_dir = \"/usr/share/tta/models\"" /etc/tta/agent.toml &&
           grep -qx "database = \"/var/lib/tta/tta.db\"" /etc/tta/agent.toml &&
           grep -qx "key_file = \"/var/lib/tta/store.key\"" /etc/tta/agent.toml &&
           ! grep -q /usr/local /etc/tta/agent.toml'

# --- the packaged config, as the service user
check "check-config on /etc/tta/agent.toml" as_tta tta-agent check-config --config /etc/tta/agent.toml
check "init again (idempotent)" as_tta tta-agent init --config /etc/tta/agent.toml
check "db-check" bash -c 'runuser -u tta -- tta-agent db-check --config /etc/tta/agent.toml --json |
  python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if j.get(\"integrity\") == \"ok\" else 1)"'
check "the key is refused once readable by others (exit 7)" bash -c '
  cp -p /var/lib/tta/store.key /var/lib/tta/store.key.bak && chmod 0640 /var/lib/tta/store.key
  runuser -u tta -- tta-agent db-check --config /etc/tta/agent.toml >/dev/null 2>&1; rc=$?
  mv /var/lib/tta/store.key.bak /var/lib/tta/store.key; [[ $rc == 7 ]]'

# --- upgrades keep data: the previous release's store (tests/data/store/v3, schema v3) is
# migrated by the installed agent, as the service user, and keeps its records.
up=/var/lib/tta/upgrade
install -d -o tta -g tta -m 0700 "$up"
install -o tta -g tta -m 0600 /mnt/test/store-v3/tta.db /mnt/test/store-v3/store.key "$up/"
sed -e "s|^database = .*|database = \"$up/tta.db\"|" -e "s|^key_file = .*|key_file = \"$up/store.key\"|" \
  /etc/tta/agent.toml >"$up/agent.toml"
chown tta:tta "$up/agent.toml"
check "the previous release's store (schema v3) is migrated and keeps its records" bash -c "
  runuser -u tta -- tta-agent db-check --config $up/agent.toml --json >$up/check.json &&
  runuser -u tta -- tta-agent people --config $up/agent.toml | grep -q 3201000000000101 &&
  python3 -c 'import json,sys; j=json.load(open(\"$up/check.json\")); sys.exit(0 if j[\"integrity\"] == \"ok\" and j[\"schema_version\"] > 3 else 1)'"

# --- a short simulated session against the packaged simulator, as tta
work=/var/lib/tta/simtest
install -d -o tta -g tta -m 0700 "$work" "$work/camera"
# setpriv execs the simulator itself, so $! is its pid (runuser would stay in between).
setpriv --reuid=tta --regid=tta --init-groups --inh-caps=-all -- tta-platform-sim --tcp-port 0 --admin-port 0 --data-dir "$work/platform" \
  >"$logs/platform.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q tcp_port= "$logs/platform.log" && break
  kill -0 "$sim_pid" 2>/dev/null || break
  sleep 0.1
done
read -r tcp_port admin_port < <(sed -n 's/.*tcp_port=\([0-9]*\) admin_port=\([0-9]*\).*/\1 \2/p' "$logs/platform.log" | head -1)
if [[ -z ${tcp_port:-} ]]; then
  bad "tta-platform-sim did not start"; cat "$logs/platform.log"; exit 1
fi
ok "tta-platform-sim started (tcp $tcp_port, admin $admin_port)"
cat >"$work/sim.toml" <<TOML
[terminal]
phone = "13800138000"
province_id = 32
city_id = 100
maker_id = "TTA01"
model = "TTA-PKG"
serial = "0000001"
imei = "860000000000001"
plate_colour = 2
plate = "苏A12345学"
institution_code = "3201000000000001"
mode = "vehicle"
[store]
database = "$work/tta.db"
key_file = "$work/store.key"
[gps]
source = "replay://$work/route.nmea?rate=0"
[[gps.fence]]
name = "test area (simulated)"
points = [[32.0400, 118.7800], [32.0400, 118.7900], [32.0480, 118.7900], [32.0480, 118.7800]]
[face]
camera = "dir://$work/camera"
models_dir = "/usr/share/tta/models"
match_threshold = 0.42
[uplink.tcp]
host = "127.0.0.1"
port = $tcp_port
test_platform = true
[uplink.http]
base_url = ""
[training]
[vehicle]
obd = "sim://"
[agent]
simulated = true
log_level = "info"
control_listen = "unix:$work/api.sock"
control_token_file = "$work/control.token"
TOML
chown tta:tta "$work/sim.toml"
check "init (simulation store)" as_tta tta-agent init --config "$work/sim.toml"
check "demo-faces from the demo photos" \
  as_tta tta-agent demo-faces --config "$work/sim.toml" --from "$photos" --out "$work/faces"
check "enroll a coach" as_tta tta-agent enroll --config "$work/sim.toml" --role coach \
  --number 3201000000000201 --id-card 320106199003071234 --name coach --licence C1 \
  --photo "$work/faces/person1.jpg"
check "enroll a student" as_tta tta-agent enroll --config "$work/sim.toml" --role student \
  --number 3201000000000101 --id-card 11010519491231002X --name student --licence C1 \
  --photo "$work/faces/person2.jpg"
if as_tta tta-agent simulate --config "$work/sim.toml" --coach 3201000000000201 \
    --student 3201000000000101 --course 1212110000 --minutes 5 --json --drain-seconds 20 \
    --platform-admin "http://127.0.0.1:$admin_port" >"$logs/simulate.json" 2>"$logs/simulate.log"; then
  ok "simulate 5 minutes"
else
  bad "simulate (exit $?; $logs/simulate.log)"
fi
check "the platform counted every minute made as valid, nothing undelivered" python3 -c "
import json, sys
j = json.load(open('$logs/simulate.json'))
print('minutes_made', j['minutes_made'], 'minutes_valid', j['minutes_valid'], 'undelivered', j['undelivered'])
sys.exit(0 if j['minutes_made'] >= 4 and j['minutes_valid'] == j['minutes_made'] and not j['undelivered'] else 1)"
check "db-check (simulation store)" as_tta tta-agent db-check --config "$work/sim.toml"

# --- run as systemd would: READY=1, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1; and the
# camera plugin loaded from the installed folder without TTA_PLUGIN_DIR (a file:// camera).
# (GNSS from a gpsd that is not there: `run` keeps retrying it, as on a terminal.)
# The camera is a file that is not a video: the check-in fails, after loading the plugin.
head -c 4096 /dev/zero >"$work/not-a-video.mp4"
chown tta:tta "$work/not-a-video.mp4"
sed -i -e "s|^camera = .*|camera = \"file://$work/not-a-video.mp4\"|" \
  -e "s|^source = .*|source = \"gpsd://127.0.0.1:9\"|" "$work/sim.toml"
python3 - "$work" "$logs" <<'PY' >>"$logs/checks.log" 2>&1
import json, os, pwd, signal, socket, subprocess, sys, time
work, logs = sys.argv[1], sys.argv[2]
tta = pwd.getpwnam("tta")
path = os.path.join(work, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chown(path, tta.pw_uid, tta.pw_gid)
s.settimeout(15)
env = {"PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}
# setpriv and env exec: agent.pid is tta-agent's own pid, as systemd's MainPID would be.
agent = subprocess.Popen(["setpriv", "--reuid=tta", "--regid=tta", "--init-groups", "--inh-caps=-all",
                          "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                          "tta-agent", "run", "--config", os.path.join(work, "sim.toml")],
                         stdout=open(os.path.join(logs, "run.log"), "w"), stderr=subprocess.STDOUT)
results = {}
def take():
    return s.recv(4096).decode()
try:
    results["first"] = take()
    pings, times = [], []
    for _ in range(4):  # the first at once, then one every half interval
        pings.append(take())
        times.append(time.monotonic())
    results["pings"] = pings
    results["ping_period_s"] = (times[3] - times[1]) / 2
    # A check-in opens the camera: the plugin must come from /usr/lib/<triplet>/tta.
    token = open(os.path.join(work, "control.token")).read().strip()
    r = subprocess.run(["curl", "-sS", "--unix-socket", os.path.join(work, "api.sock"),
                        "-H", "Authorization: Bearer " + token, "-d",
                        '{"role":"coach","number":"3201000000000201"}', "http://agent/checkin"],
                       capture_output=True, text=True, timeout=60)
    results["checkin"] = r.stdout
    maps = open(f"/proc/{agent.pid}/maps").read()
    results["plugin_mapped"] = [l.split()[-1] for l in maps.splitlines() if "tta-camera-videoio" in l][:1]
    agent.send_signal(signal.SIGTERM)  # once, as systemd does
    while True:  # pings already queued come first
        msg = take()
        if msg == "STOPPING=1":
            results["stopping"] = msg
            break
    results["exit"] = agent.wait(timeout=30)
except Exception as e:  # a timeout or a missing message: reported, and the checks below fail
    results["error"] = repr(e)
    agent.kill()
print(json.dumps(results))
json.dump(results, open(os.path.join(logs, "notify.json"), "w"))
PY
notify() { python3 -c "import json,sys; j=json.load(open('$logs/notify.json')); sys.exit(0 if ($1) else 1)"; }
check "run says READY=1 first" notify 'j.get("first") == "READY=1"'
check "run feeds the watchdog at half of WATCHDOG_USEC (0.2 s)" \
  notify 'j.get("pings") == ["WATCHDOG=1"] * 4 and 0.15 < j["ping_period_s"] < 0.35'
check "run says STOPPING=1 on SIGTERM and exits 0" notify 'j.get("stopping") == "STOPPING=1" and j.get("exit") == 0'
check "the camera plugin was loaded from the installed folder" \
  notify 'any(p.startswith("/usr/lib/") and p.endswith("/tta/tta-camera-videoio.so") for p in j.get("plugin_mapped", []))'
exit 0
