#!/usr/bin/env bash
# `make demo`: five emulated intercoms, and the collection's playbooks telling their story against them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
WORK=$ROOT/build/demo
ADDRESS=${HELIOS_DEMO_ADDRESS:-127.0.2.1}
HTTP_PORT=${HELIOS_DEMO_HTTP_PORT:-8080}
HTTPS_PORT=${HELIOS_DEMO_HTTPS_PORT:-8443}

rm -rf "$WORK" && mkdir -p "$WORK/collections/ansible_collections/twon" "$WORK/inventory/host_vars" \
  "$WORK/inventory/group_vars"
ln -s "$ROOT" "$WORK/collections/ansible_collections/twon/helios"
export ANSIBLE_COLLECTIONS_PATH=$WORK/collections ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
playbook() {  # run a collection playbook, show its recap (and what it reported), keep the whole log
  local name=$1; shift
  local log
  log="$WORK/$name-$(date +%s%N).log"
  set +e
  "$BIN/ansible-playbook" -i "$WORK/inventory" "twon.helios.$name" "$@" >"$log" 2>&1
  local status=$?
  set -e
  sed -n '/^PLAY RECAP/,$p' "$log"
  return $status
}

step "Starting 5 emulated intercoms on $ADDRESS.. (HTTP $HTTP_PORT, HTTPS $HTTPS_PORT)"
"$BIN/helios-emulator" serve --devices 5 --address "$ADDRESS" --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
  --state-dir "$WORK/state" --ready-file "$WORK/ready.json" &
EMULATOR=$!
CURRENT_EMULATOR='' RULEBOOK=''
cleanup() {
  for pid in $RULEBOOK $CURRENT_EMULATOR $EMULATOR; do kill "$pid" 2>/dev/null || true; done
  for pid in $RULEBOOK $CURRENT_EMULATOR $EMULATOR; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
[ -s "$WORK/ready.json" ] || { echo "the emulator did not start" >&2; exit 1; }
CA=$("$BIN/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_path"])' "$WORK/ready.json")

step "Writing an inventory whose host_vars hold each intercom's desired configuration"
cat >"$WORK/inventory/hosts.yml" <<YAML
intercoms:
  hosts:
$(for i in 1 2 3 4 5; do
    echo "    door-$i:"
    echo "      ansible_host: $("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]) + $i - 1)" "$ADDRESS")"
  done)
YAML
cat >"$WORK/inventory/group_vars/intercoms.yml" <<YAML
helios_port: $HTTPS_PORT
helios_username: admin
helios_password: "2n"
helios_ca_path: $CA
helios_backup_dir: $WORK/backups
YAML
for i in 1 2 3 4 5; do
  cat >"$WORK/inventory/host_vars/door-$i.yml" <<YAML
helios_settings:
  Network:
    Hostname: door-$i
  WebServer:
    DeviceName: Entrance $i
  Switches:
    Switch:
      - At: 1
        Mode: bistable
helios_switches:
  - {switch: 2, state: $([ $((i % 2)) = 1 ] && echo active || echo inactive)}
helios_outputs:
  - {port: relay1, state: active}
YAML
done
ls "$WORK/inventory" "$WORK/inventory/host_vars"

step "provision: the first run changes every intercom"
playbook provision
step "provision again: nothing left to change"
playbook provision
step "discover: the inventory plugin finds the intercoms in $ADDRESS/28, grouped by model and firmware"
cat >"$WORK/discovered.helios.yml" <<YAML
plugin: twon.helios.helios
ranges: [$("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1] + '/28', strict=False))" "$ADDRESS")]
port: $HTTPS_PORT
username: admin
password: "2n"
ca_path: $CA
keyed_groups:
  - {key: helios_model, prefix: model}
  - {key: helios_sw_version, prefix: firmware}
YAML
"$BIN/ansible-inventory" -i "$WORK/discovered.helios.yml" --graph

step "drift: the fleet matches its inventory"
playbook drift

step "Changing door-3 behind Ansible's back (its device name, through the HTTP API)"
DOOR3=$("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]) + 2)" "$ADDRESS")
curl -sS --digest -u admin:2n --cacert "$CA" "https://$DOOR3:$HTTPS_PORT/api/config" \
  | sed 's#<DeviceName>Entrance 3</DeviceName>#<DeviceName>Somebody was here</DeviceName>#' >"$WORK/door-3-tampered.xml"
curl -sS --digest -u admin:2n --cacert "$CA" -X PUT -F "blob-cfg=@$WORK/door-3-tampered.xml" \
  "https://$DOOR3:$HTTPS_PORT/api/config" >/dev/null
step "Turning door-1's switch 2 off behind Ansible's back (its inventory wants it active)"
DOOR1=$("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]))" "$ADDRESS")
curl -sS --digest -u admin:2n --cacert "$CA" "https://$DOOR1:$HTTPS_PORT/api/switch/ctrl?switch=2&action=off" >/dev/null
step "drift: reports door-1 and door-3, each difference as kind: what (device -> desired), and exits non-zero"
if playbook drift -e "helios_drift_junit=$WORK/drift.xml" -e "helios_drift_json=$WORK/drift.json"; then
  echo "drift found nothing: unexpected" >&2; exit 1
fi
newest_drift_log=$(find "$WORK" -maxdepth 1 -name 'drift-*.log' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
sed -n '/TASK \[Report the devices that drifted/,/^$/p' "$newest_drift_log" | grep '"door-'
echo "JUnit XML for the merge request: $WORK/drift.xml"

step "backup: one file per intercom, secrets masked"
playbook backup
ls -l "$WORK/backups"

step "backup with the secrets encrypted with Ansible Vault; a factory reset of door-2; its restore from that backup"
printf 'demo vault password\n' >"$WORK/vault-password"
chmod 600 "$WORK/vault-password"
playbook backup -e helios_backup_secrets=vault --vault-password-file "$WORK/vault-password"
echo "door-2's backup holds $(grep -c 'ANSIBLE_VAULT' "$WORK/backups/door-2.xml") vault-encrypted secrets and no clear one"
DOOR2=$("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]) + 1)" "$ADDRESS")
device_name() {
  curl -sS --digest -u admin:2n --cacert "$CA" "https://$DOOR2:$HTTPS_PORT/api/system/info" 2>/dev/null \
    | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["result"]["deviceName"])' 2>/dev/null
}
curl -sS --digest -u admin:2n --cacert "$CA" "https://$DOOR2:$HTTPS_PORT/api/config/factoryreset" >/dev/null
sleep 1
for _ in $(seq 100); do [ -n "$(device_name)" ] && break; sleep 0.1; done
echo "door-2 after the factory reset: device name \"$(device_name)\""
playbook restore --vault-password-file "$WORK/vault-password" --limit door-2
echo "door-2 after the restore: device name \"$(device_name)\""
[ "$(device_name)" = "Entrance 2" ] || { echo "the restore did not bring door-2 back" >&2; exit 1; }

step "upgrade: firmware 2.12.0.1.1, built with helios-emulator firmware, rolled out in waves"
"$BIN/helios-emulator" firmware --version 2.12.0.1.1 --output "$WORK/helios-2.12.0.1.1.fw"
playbook upgrade -e "helios_firmware_src=$WORK/helios-2.12.0.1.1.fw" -e helios_firmware_version=2.12.0.1.1 \
  -e helios_wave_size=3
grep -h -o '"door-[0-9]: 2.11[^"]*' "$WORK"/upgrade-*.log | tr -d '"'

step "report: one self-contained HTML page (and CSV, JSON) on the fleet, with the drift found above"
playbook report -e "helios_report_dir=$WORK/report" -e "helios_report_drift_json=$WORK/drift.json"
ls -l "$WORK/report"

step "events: an intercom on current firmware (2.50), watched by ansible-rulebook with twon.helios.door_alarm"
DOOR6=$("$BIN/python" -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]) + 5)" "$ADDRESS")
mkdir -p "$WORK/events"
cat >"$WORK/events/profile.yml" <<YAML
device: {swVersion: 2.50.0.52.7}
YAML
"$BIN/helios-emulator" serve --devices 1 --address "$DOOR6" --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
  --profile "$WORK/events/profile.yml" --ready-file "$WORK/events/ready.json" >"$WORK/events/emulator.log" 2>&1 &
CURRENT_EMULATOR=$!
for _ in $(seq 100); do [ -s "$WORK/events/ready.json" ] && break; sleep 0.1; done
[ -s "$WORK/events/ready.json" ] || { echo "the current-firmware emulator did not start" >&2; exit 1; }
CA6=$("$BIN/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_path"])' "$WORK/events/ready.json")
cat >"$WORK/events/inventory.yml" <<YAML
intercoms:
  hosts:
    door-6: {ansible_host: $DOOR6}
  vars:
    ansible_connection: local
    helios_port: $HTTPS_PORT
    helios_username: admin
    helios_password: "2n"
    helios_ca_path: $CA6
    helios_alarm_switch: 2
    helios_alarm_snapshot_dir: $WORK/events/snapshots
    helios_alarm_snapshot_width: 320
    helios_alarm_snapshot_height: 240
YAML
echo "helios_inventory: $WORK/events/inventory.yml" >"$WORK/events/vars.yml"
switch2() {
  curl -sS --digest -u admin:2n --cacert "$CA6" "https://$DOOR6:$HTTPS_PORT/api/switch/status?switch=2" \
    | "$BIN/python" -c 'import json,sys; print("on" if json.load(sys.stdin)["result"]["switches"][0]["active"] else "off")'
}
curl -sS --digest -u admin:2n --cacert "$CA6" "https://$DOOR6:$HTTPS_PORT/api/switch/ctrl?switch=2&action=on" >/dev/null
echo "door-6 ($DOOR6, firmware 2.50.0.52.7): its door lock on switch 2 is $(switch2) (unlocked)"
# ansible-rulebook finds ansible-galaxy and ansible-playbook on PATH
PATH="$BIN:$PATH" ANSIBLE_NOCOLOR=1 "$BIN/ansible-rulebook" --rulebook twon.helios.door_alarm -i "$WORK/events/inventory.yml" \
  --vars "$WORK/events/vars.yml" --print-events >"$WORK/events/rulebook.log" 2>&1 &
RULEBOOK=$!
channels() {
  curl -sS "http://$DOOR6:$HTTP_PORT/_emulator/state" 2>/dev/null \
    | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin).get("log", {}).get("channels", 0))' 2>/dev/null || echo 0
}
for _ in $(seq 600); do [ "$(channels)" -gt 0 ] && break; kill -0 $RULEBOOK 2>/dev/null || break; sleep 0.1; done
[ "$(channels)" -gt 0 ] || { echo "ansible-rulebook did not start watching door-6:" >&2; tail -30 "$WORK/events/rulebook.log" >&2; exit 1; }
echo "ansible-rulebook watches door-6 (one long-poll channel of its Logging service)"
echo "Somebody forces door-6's door open (the emulator raises UnauthorizedDoorOpen)"
curl -sS -X POST -H 'Content-Type: application/json' -d '{"event": "UnauthorizedDoorOpen", "params": {"door": 1}}' \
  "http://$DOOR6:$HTTP_PORT/_emulator/event"
echo
for _ in $(seq 1200); do
  if [ "$(switch2)" = off ] && ls "$WORK/events/snapshots/"*.jpg >/dev/null 2>&1; then break; fi
  sleep 0.1
done
sed -n '/\[received event\]/,/^\*\*\*\*/p' "$WORK/events/rulebook.log" | head -26
sed -n '/^PLAY \[/,/^PLAY RECAP/p' "$WORK/events/rulebook.log" | grep -v '^$'
sed -n '/^PLAY RECAP/,/^$/p' "$WORK/events/rulebook.log" | tail -n +2
ls -l "$WORK/events/snapshots"
echo "door-6's door lock on switch 2 is now $(switch2) (locked: the playbook put it into its safe state)"
[ "$(switch2)" = off ] || { echo "the rulebook's playbook did not run:" >&2; tail -40 "$WORK/events/rulebook.log" >&2; exit 1; }

step "Done: stopping the emulators and ansible-rulebook (logs in $WORK)"
