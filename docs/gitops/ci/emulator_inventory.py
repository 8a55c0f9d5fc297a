"""Point the inventory at an emulator fleet: python ci/emulator_inventory.py READY_FILE HOST... > emulator.yml

READY_FILE is what `helios-emulator serve --ready-file` wrote; the hosts get its devices in order. Given as a
second inventory source (`-i inventory -i emulator.yml`), its host variables win over group_vars, so the
pipeline rehearses the real inventory's desired configuration against emulated intercoms.
"""

import json
import sys


def main(ready_file, hosts):
    with open(ready_file, encoding='utf-8') as handle:
        ready = json.load(handle)
    devices = ready['devices']
    if len(devices) < len(hosts):
        sys.exit('%d hosts but only %d emulated devices' % (len(hosts), len(devices)))
    overlay = {
        host: {'ansible_host': device['address'], 'helios_port': device['https_port'],
               'helios_ca_path': ready['ca_path']}
        for host, device in zip(hosts, devices)
    }
    # JSON is YAML: ansible-playbook reads this file with its yaml inventory plugin
    json.dump({'intercoms': {'hosts': overlay}}, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip())
    main(sys.argv[1], sys.argv[2:])
