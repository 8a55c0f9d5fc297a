"""Point the inventory at an emulator fleet: python ci/emulator_inventory.py [--username U --password P] READY_FILE HOST...

READY_FILE is what `helios-emulator serve --ready-file` wrote; the hosts get its devices in order. Given as a
second inventory source (`-i inventory -i emulator.yml`), its host variables win over group_vars and over the
HELIOS_* environment variables, so the pipeline rehearses the real inventory's desired configuration against
emulated intercoms, with the emulator's account (admin / 2n unless --username and --password say otherwise)
wherever the real account is set.
"""

import argparse
import json
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--username', default='admin', help="the emulated devices' account (default: admin)")
    parser.add_argument('--password', default='2n', help='its password (default: 2n, not a secret)')
    parser.add_argument('ready_file')
    parser.add_argument('hosts', nargs='+')
    args = parser.parse_args(argv)
    with open(args.ready_file, encoding='utf-8') as handle:
        ready = json.load(handle)
    devices = ready['devices']
    if len(devices) < len(args.hosts):
        sys.exit('%d hosts but only %d emulated devices' % (len(args.hosts), len(devices)))
    overlay = {
        host: {'ansible_host': device['address'], 'helios_port': device['https_port'],
               'helios_ca_path': ready['ca_path'], 'helios_username': args.username,
               'helios_password': args.password}
        for host, device in zip(args.hosts, devices)
    }
    # JSON is YAML: ansible-playbook reads this file with its yaml inventory plugin
    json.dump({'intercoms': {'hosts': overlay}}, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
