# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Private to twon.helios: the options of plugins/module_utils/_connection.py, documented once.

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  host:
    description:
      - DNS name, IPv4 address or IPv6 address of the intercom, for example V(door1.example.com), V(192.0.2.10),
        V(2001:db8::10) or V([2001:db8::10]).
      - Nothing else is accepted, so that the value cannot change where requests go. A scheme (V(https://)), a port
        (V(:443)), a path, a query, a fragment, a user (V(admin@)), an IPv6 zone index (V(%eth0)), spaces or
        control characters fail the task before any request. The port goes in O(port).
      - If not set, the host variable C(helios_host) is used, then the E(HELIOS_HOST) environment variable.
      - If none is set, the inventory host's address is used as a connection plugin would use it, that is
        C(ansible_host), else C(inventory_hostname). So a play against an inventory of intercoms needs no O(host).
        This holds with C(delegate_to) too, which changes where the task runs, not which intercom it is for.
    type: str
  port:
    description:
      - TCP port of the HTTP API, V(1) to V(65535).
      - Defaults to V(443) for O(protocol=https) and V(80) for O(protocol=http).
      - If not set, the host variable C(helios_port) is used, then the E(HELIOS_PORT) environment variable.
    type: int
  protocol:
    description:
      - Transport of the HTTP API requests.
      - A service the device restricts to HTTPS refuses V(http) with error code 7.
      - If not set, the host variable C(helios_protocol) is used, then the E(HELIOS_PROTOCOL) environment variable.
    type: str
    choices: [https, http]
    default: https
  username:
    description:
      - Name of an HTTP API user account on the device.
      - Required when O(auth_method) is V(digest) or V(basic).
      - If not set, the host variable C(helios_username) is used, then the E(HELIOS_USERNAME) environment variable.
    type: str
  password:
    description:
      - Password of the account O(username).
      - Required when O(auth_method) is V(digest) or V(basic).
      - If not set, the host variable C(helios_password) is used, then the E(HELIOS_PASSWORD) environment variable.
    type: str
  auth_method:
    description:
      - How requests authenticate (RFC 2617).
      - V(digest) is the device's default and the most secure. V(basic) sends the password in clear text; use it
        with O(protocol=https) only (over O(protocol=http) the task warns). V(none) sends no credentials. V(auto)
        sends none until the device asks, then answers with the scheme the device names (Digest or Basic).
      - V(auto) does not answer a Basic challenge over O(protocol=http) unless O(allow_basic_over_http=true); the
        task fails without sending the password.
      - A service that requires another method refuses the request with error code 8.
      - If not set, the host variable C(helios_auth_method) is used, then the E(HELIOS_AUTH_METHOD) environment
        variable.
    type: str
    choices: [digest, basic, none, auto]
    default: digest
  allow_basic_over_http:
    description:
      - Whether O(auth_method=auto) may answer a service that asks for Basic authentication over O(protocol=http),
        which sends the password in clear text to anyone on the network path. The task then warns.
      - With the default V(false) such a task fails before the password is sent; prefer O(protocol=https).
      - O(auth_method=basic) with O(protocol=http) is taken as the user's choice and only warns.
      - If not set, the host variable C(helios_allow_basic_over_http) is used, then the
        E(HELIOS_ALLOW_BASIC_OVER_HTTP) environment variable.
    type: bool
    default: false
  validate_certs:
    description:
      - Whether to verify the device's TLS certificate.
      - Intercoms come with self-signed certificates; prefer O(ca_path) to V(false).
      - Applies even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set.
      - If not set, the host variable C(helios_validate_certs) is used, then the E(HELIOS_VALIDATE_CERTS)
        environment variable.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the certificate authorities to verify the device's certificate with, instead of the
        system's.
      - Ignored when O(validate_certs=false) or O(protocol=http); otherwise the file must exist and be readable, or
        the task fails before any request.
      - If not set, the host variable C(helios_ca_path) is used, then the E(HELIOS_CA_PATH) environment variable.
    type: path
  timeout:
    description:
      - Seconds to wait for the connection and for each reply; more than V(0), at most V(3600).
      - If not set, the host variable C(helios_timeout) is used, then the E(HELIOS_TIMEOUT) environment variable.
    type: float
    default: 10.0
  retries:
    description:
      - How many times a request is repeated after a connection fault (refused, dropped, timed out) or an HTTP
        5xx reply, with exponential backoff (0.25 s, 0.5 s, 1 s, ... at most 5 s). V(0) to V(10).
      - A reply in which the device reports an error is never repeated.
      - A request that acts each time it is made (a trigger, a dial, a restart, a factory reset, applying firmware,
        an upload of a configuration, firmware image or display image) is repeated only when it could not connect.
        After a later fault the device may have had it, and a repeat would act twice; what the task does then is
        described with the module's options.
      - If not set, the host variable C(helios_retries) is used, then the E(HELIOS_RETRIES) environment variable.
    type: int
    default: 3
notes:
  - >-
    Every connection option is taken, in this order, from the task (C(module_defaults) included), from the host
    variable named C(helios_) and the option (C(helios_port), C(helios_password), ...), from the environment
    variable named C(HELIOS_) and the option in capitals, or else its default. The host variables are those of
    the inventory host the task is for, also under C(delegate_to); the roles of this collection use the same
    names.
  - >-
    The modules talk to the device from the host they run on. Run them on the controller (C(connection: local)
    with the intercom as the inventory host, or C(delegate_to: localhost)); there they run inside Ansible's
    worker process without starting a module process, which is many times faster. Delegated to another host
    (for example a jump host inside the intercoms' network) they run there as ordinary modules.
  - >-
    A task with C(become) also runs as an ordinary module, as the become user, who then reads and writes the
    task's files (backups, snapshots, images). Talking to an intercom needs no privileges on the controller;
    leave C(become) off these tasks to keep them fast. So does a task whose C(environment) sets a proxy
    (C(https_proxy), C(no_proxy), ...) or a CA bundle (C(REQUESTS_CA_BUNDLE), C(CURL_CA_BUNDLE)).
  - >-
    Run as ordinary modules on a local connection, they need an interpreter with C(requests); set
    C(ansible_python_interpreter) to V({{ ansible_playbook_python }}).
  - >-
    Option values are checked before any request to the device: numbers against their ranges (a YAML boolean such
    as V(yes) is not taken for a number), paths for the files and directories they must name, and every string
    for null bytes. The task fails naming the option and what it accepts.
  - >-
    When the device refuses a request, the task fails with a message such as
    C(switch/ctrl: invalid parameter value (code 12, param "switch")) and returns C(error) with the
    keys C(function), C(code), C(description) and C(param).
requirements:
  - requests >= 2.28
'''
