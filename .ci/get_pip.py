"""twon.helios get-pip stand-in: an offline replacement for the get-pip.py that ansible-test downloads.

ansible-test creates each sanity test's virtual environment without pip, then bootstraps pip by running
get-pip.py, which it downloads from a host outside the package registries (unreachable here and in CI):

    <venv>/bin/python quiet_pip.py --disable-pip-version-check pip==X.Y [--no-setuptools] [--no-wheel]

with GET_PIP pointing at ~/.ansible/test/cache/get_pip_X_Y.py. `make sanity` installs this file there
(only if that path is absent or holds this file). It does what get-pip.py does: installs pip with the
standard library's ensurepip (no network), then the requested packages from the package index.
"""

import subprocess
import sys


def main():
    args = sys.argv[1:]
    options = [arg for arg in args if arg not in ('--no-setuptools', '--no-wheel')]
    quiet = dict(stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=True, **quiet)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', *options], check=True)
    if '--no-setuptools' in args:
        # ensurepip of Python < 3.12 also installs setuptools; get-pip.py with --no-setuptools would not
        subprocess.run([sys.executable, '-m', 'pip', 'uninstall', '-q', '-y', 'setuptools'], check=False, **quiet)


if __name__ == '__main__':
    main()
