"""The fleet report (twon.helios.report): a real ansible-playbook run against emulated intercoms, then the page opened
in a real headless browser (Debian's chromium, driven through WebDriver by selenium with the system chromedriver):
the rendered table read back, a sort checked, a screenshot kept in the test's artifacts.

Addresses: 127.0.(70+N).100-.131 of the worker's inventory block (see test_inventory.py), ports 28080/28443.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest
from helios_fleet import ALL_PRIVILEGES, HTTPS_PORT, REPO_ROOT, spare_blocks

from helios_emulator.testing import AddressInUse, EmulatorProcess

PASSWORD = 'Report-Secret-5'
SIP_PASSWORD = 'Sip-Secret-3'
CHROMIUM, CHROMEDRIVER = Path('/usr/bin/chromium'), Path('/usr/bin/chromedriver')
ARTIFACTS = Path(os.environ.get('HELIOS_TEST_ARTIFACTS', REPO_ROOT / 'build' / 'artifacts'))
ACCOUNTS = [dict(username='admin', password=PASSWORD, privileges=ALL_PRIVILEGES)]
NASTY_NAME = '<b>Lobby & "Co"</b><script>window.pwned = 1</script>'


@pytest.fixture(scope='module')
def report_site(tmp_path_factory):
    """Three default intercoms, one whose SIP account does not register (named with markup), one Vario on older
    firmware without the licence, and an address where nothing answers."""
    workdir = tmp_path_factory.mktemp('report-site')
    emulators = []
    specs = [
        ('plain', 100, 3, {'accounts': ACCOUNTS}),
        ('unregistered', 110, 1, {'accounts': ACCOUNTS, 'device': {'deviceName': NASTY_NAME},
                                  'sip': [{'number': '5046', 'domain': 'sip.example.test', 'registrar': '',
                                           'password': SIP_PASSWORD}]}),
        ('unlicensed', 120, 1, {'accounts': ACCOUNTS, 'licence': False,
                                'device': {'variant': '2N Helios IP Vario', 'swVersion': '2.10.0.19.2'}}),
    ]
    try:
        for block in spare_blocks():
            try:
                for name, last, count, profile in specs:
                    emulators.append(EmulatorProcess(workdir, '%s.%d' % (block, last), 28080, HTTPS_PORT,
                                                     devices=count, profile=profile, name=name).start())
                break
            except AddressInUse:
                for emulator in emulators:
                    emulator.stop(timeout=10)
                emulators = []
        else:
            raise RuntimeError('no free block in 127.0.70-75.x for the report tests')
        yield emulators
    finally:
        for emulator in emulators:
            emulator.stop(timeout=10)


def hosts(site):
    addresses = [device['address'] for emulator in site for device in emulator.ready['devices']]
    names = ['door-1', 'door-2', 'door-3', 'door-unregistered', 'door-vario']
    found = dict((name, {'ansible_host': address}) for name, address in zip(names, addresses))
    block = addresses[0].rsplit('.', 1)[0]  # the site's block: nothing answers at its .131
    found['door-gone'] = {'ansible_host': '%s.131' % block}
    return found


GROUP_VARS = '''
helios_port: %d
helios_username: admin
helios_password: %s
helios_validate_certs: false
helios_timeout: 3
helios_retries: 0
''' % (HTTPS_PORT, PASSWORD)


def run_report(ansible, site, tmp_path):
    report_dir = tmp_path / 'report'
    backup_dir = tmp_path / 'backups'
    backup_dir.mkdir()
    (backup_dir / 'door-2.xml').write_text('<DeviceDatabase/>')
    os.utime(backup_dir / 'door-2.xml', (1764547200, 1764547200))  # 2025-12-01T00:00:00Z
    drift = tmp_path / 'drift.json'
    drift.write_text(json.dumps({'summary': {}, 'devices': {
        'door-1': {'status': 'clean', 'differences': [], 'report': []},
        'door-3': {'status': 'drifted', 'differences': [], 'report': ['config: x (1 -> 2)']}}}))
    run = ansible(hosts(site), None, playbook='twon.helios.report', group_vars=GROUP_VARS + 'helios_backup_dir: %s\n'
                  % backup_dir, helios_report_dir=str(report_dir), helios_report_drift_json=str(drift))
    return run, report_dir


def test_the_report_files(report_site, ansible, tmp_path):
    run, report_dir = run_report(ansible, report_site, tmp_path)
    assert run.rc == 0, run.stdout
    data = json.loads((report_dir / 'fleet-report.json').read_text())
    assert data['summary'] == {'devices': 6, 'reachable': 5, 'unreachable': 1, 'unregistered': 1,
                               'licence_missing': 1, 'drifted': 1}
    assert data['firmware'] == [{'version': '2.10.0.19.2', 'devices': 1}, {'version': '2.11.0.22.1', 'devices': 4}]
    rows = dict((row['host'], row) for row in data['devices'])
    assert [row['host'] for row in data['devices']] == sorted(rows)
    assert rows['door-1']['model'] == '2N Helios IP Verso' and rows['door-1']['firmware'] == '2.11.0.22.1'
    assert rows['door-1']['sip'] == 'registered' and rows['door-1']['licence'] == 'present'
    assert rows['door-1']['drift'] == 'clean' and rows['door-3']['drift'] == 'drifted'
    assert rows['door-2']['drift'] == 'not checked'
    assert rows['door-2']['last_backup'] == '2025-12-01T00:00:00Z' and rows['door-1']['last_backup'] == ''
    assert rows['door-unregistered']['sip'] == 'unregistered' and rows['door-unregistered']['sip_accounts'] == '0/1'
    assert rows['door-unregistered']['device_name'] == NASTY_NAME
    assert rows['door-vario']['licence'] == 'missing' and rows['door-vario']['firmware'] == '2.10.0.19.2'
    assert rows['door-gone']['state'] == 'unreachable' and 'cannot connect' in rows['door-gone']['error']
    assert rows['door-gone']['licence'] == 'unknown' and rows['door-gone']['uptime_seconds'] is None
    assert isinstance(rows['door-1']['uptime_seconds'], int)
    with (report_dir / 'fleet-report.csv').open(newline='') as handle:
        table = list(csv.DictReader(handle))
    assert [row['host'] for row in table] == [row['host'] for row in data['devices']]
    assert next(row for row in table if row['host'] == 'door-unregistered')['device_name'] == NASTY_NAME
    for name in ('fleet-report.json', 'fleet-report.csv', 'fleet-report.html'):
        text = (report_dir / name).read_text()
        assert PASSWORD not in text and SIP_PASSWORD not in text, name
    html = (report_dir / 'fleet-report.html').read_text()
    assert 'window.pwned' in html and '<script>window.pwned' not in html
    assert '&lt;b&gt;Lobby &amp; &#34;Co&#34;&lt;/b&gt;' in html
    # self-contained: nothing for a browser to fetch (the problem column may name device URLs, as text)
    for fetching in ('src=', 'href=', '@import', 'url('):
        assert fetching not in html


def test_the_report_without_a_directory_fails_before_reading(report_site, ansible):
    run = ansible(hosts(report_site), None, playbook='twon.helios.report', group_vars=GROUP_VARS)
    assert run.rc != 0
    assert 'helios_report_dir is not set' in run.stdout


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail('%s and %s are needed for the browser test: `make browser` installs Debian\'s chromium and '
                    'chromium-driver (as root)' % (CHROMIUM, CHROMEDRIVER))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ['SE_OFFLINE'] = 'true'  # selenium must not look for drivers or browsers on the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
                     '--user-data-dir=%s' % (tmp_path / 'chromium-profile'), '--window-size=1400,1000'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def rendered_table(driver):
    from selenium.webdriver.common.by import By
    headers = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, '#devices thead th')]
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, 'td')]
            for row in driver.find_elements(By.CSS_SELECTOR, '#devices tbody tr')]
    return [dict(zip(headers, row)) for row in rows]


def test_the_page_in_a_real_browser(report_site, ansible, tmp_path, browser, request):
    from selenium.webdriver.common.by import By

    run, report_dir = run_report(ansible, report_site, tmp_path)
    assert run.rc == 0, run.stdout
    browser.get((report_dir / 'fleet-report.html').as_uri())
    table = rendered_table(browser)
    assert [row['Intercom'] for row in table] == ['door-1', 'door-2', 'door-3', 'door-gone', 'door-unregistered',
                                                  'door-vario']
    by_host = dict((row['Intercom'], row) for row in table)
    assert by_host['door-vario']['Model'] == '2N Helios IP Vario' and by_host['door-vario']['Licence'] == 'missing'
    assert by_host['door-gone']['State'] == 'unreachable' and 'cannot connect' in by_host['door-gone']['Problem']
    assert by_host['door-unregistered']['SIP'] == 'unregistered'
    assert by_host['door-2']['Last backup'] == '2025-12-01T00:00:00Z'
    assert by_host['door-unregistered']['Name'] == NASTY_NAME  # shown as text, never run
    assert browser.execute_script('return window.pwned === undefined')
    # the summary and the chart
    assert browser.find_element(By.CSS_SELECTOR, '#summary-unreachable .value').text == '1'
    assert browser.find_element(By.CSS_SELECTOR, '#summary-unregistered .value').text == '1'
    bars = browser.find_elements(By.CSS_SELECTOR, '#firmware-chart g.bar')
    assert [(item.get_attribute('data-version'), item.get_attribute('data-devices')) for item in bars] == [
        ('2.10.0.19.2', '1'), ('2.11.0.22.1', '4')]
    # nothing was loaded from anywhere but the page itself
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # sort by firmware (by version part, not as text), then descending
    header = browser.find_element(By.CSS_SELECTOR, '#devices th[data-key="firmware"] button')
    header.click()
    firmware = [row['Firmware'] for row in rendered_table(browser)]
    assert firmware == sorted(firmware, key=lambda v: [int(p) for p in v.split('.')] if v else [])
    assert browser.find_element(By.CSS_SELECTOR, '#devices th[data-key="firmware"]').get_attribute('aria-sort') == \
        'ascending'
    header.click()
    assert [row['Firmware'] for row in rendered_table(browser)] == firmware[::-1]
    # by uptime: the seconds, the unreachable intercom (no uptime) first
    browser.find_element(By.CSS_SELECTOR, '#devices th[data-key="uptime"] button').click()
    assert rendered_table(browser)[0]['Intercom'] == 'door-gone'

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / ('%s-%d.png' % (request.node.name, int(time.time())))
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10000
    print('screenshot: %s' % shot)

    # a narrow window: the page itself never scrolls sideways; the table scrolls in its own box, to its last column
    browser.set_window_size(800, 1000)
    assert browser.execute_script('return window.innerWidth') <= 800
    assert browser.execute_script('return document.getElementById("devices").scrollWidth > window.innerWidth'), \
        'the table fits anyway: the check would prove nothing'
    assert browser.execute_script('return document.documentElement.scrollWidth <= window.innerWidth'), \
        browser.execute_script('return [document.documentElement.scrollWidth, window.innerWidth]')
    last = browser.find_element(By.CSS_SELECTOR, '#devices thead th:last-child')
    assert last.text == 'Problem'
    browser.execute_script('arguments[0].scrollIntoView({block: "nearest", inline: "end"})', last)
    right, width, page_x = browser.execute_script(
        'var box = arguments[0].getBoundingClientRect(); return [box.right, window.innerWidth, window.scrollX]', last)
    assert right <= width and page_x == 0, (right, width, page_x)
    narrow = ARTIFACTS / ('%s-narrow-%d.png' % (request.node.name, int(time.time())))
    assert browser.save_screenshot(str(narrow))
