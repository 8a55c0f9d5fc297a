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
trap 'kill $EMULATOR 2>/dev/null; wait $EMULATOR 2>/dev/null || true' EXIT
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
if playbook drift -e "helios_drift_junit=$WORK/drift.xml"; then echo "drift found nothing: unexpected" >&2; exit 1; fi
# the newest drift log: the names are the demo's own (drift-<n>.log), so ls is safe here
# shellcheck disable=SC2012
sed -n '/TASK \[Report the devices that drifted/,/^$/p' "$(ls -t "$WORK"/drift-*.log | head -1)" | grep '"door-'
echo "JUnit XML for the merge request: $WORK/drift.xml"

step "backup: one file per intercom, secrets masked"
playbook backup
ls -l "$WORK/backups"

step "upgrade: firmware 2.12.0.1.1, built with helios-emulator firmware, rolled out in waves"
"$BIN/helios-emulator" firmware --version 2.12.0.1.1 --output "$WORK/helios-2.12.0.1.1.fw"
playbook upgrade -e "helios_firmware_src=$WORK/helios-2.12.0.1.1.fw" -e helios_firmware_version=2.12.0.1.1 \
  -e helios_wave_size=3
grep -h -o '"door-[0-9]: 2.11[^"]*' "$WORK"/upgrade-*.log | tr -d '"'

step "Done: stopping the emulator (logs in $WORK)"
