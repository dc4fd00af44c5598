#!/usr/bin/python3
"""The screens in a real browser (Debian's chromium + chromium-driver, python3-selenium).

Starts tta-platform-sim and `tta-agent run` with a folder camera (real face photos from
../shared/data/faces/att) and a pseudo-terminal GNSS receiver this script feeds, then drives
the screens as a person would:

  terminal (vehicle mode, 1024x600 and 800x480): log in with the start link, coach and student
  check in through the keypad and the face check, minutes tick, the vehicle stops and the
  "stationary" warning must appear within 2 s of the agent's status saying so, the vehicle
  moves on, both check out; negative checks (no session, a wrong token, no CSRF token, a
  cookie replayed after logout);
  kiosk (classroom mode, 1920x1080): the face check asks for a blink (the kiosk's default
  challenge) and the overlay shows the prompt while it runs; a student who does not blink is
  refused in words that say so; the lecturer and three students whose photo sequences do
  blink check in; the roster shows them.

Screenshots of every screen at each size go to --out; the run fails if anything overflows the
viewport at 800x480. Figures (page weight of each screen's first load, warning latency) go to
--out/screens.json. Exit 0 on success; 1 with the reason on failure; with CI unset, 77 (skip)
when the browser or the shared data is missing.
"""

import argparse
import http.client
import json
import math
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from datetime import datetime, timedelta, timezone

SKIP = 77
ADMIN_PASSWORD = "correct horse battery"
COACH = "3201000000000201"
STUDENTS = ["3201000000000101", "3201000000000102", "3201000000000103"]
ID_CARDS = ["11010519491231002X", "110105194912310038", "110105194912310046"]
CENTRE = (32.0440, 118.7850)  # inside the test fence
START = datetime(2026, 11, 27, 2, 0, 0, tzinfo=timezone.utc)  # 10:00 GMT+8, training hours


def need(ok, what):
    if ok:
        return
    if os.environ.get("CI", "") not in ("", "0", "false"):
        print(f"FAIL: {what} (CI: nothing may be skipped)", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {what}", file=sys.stderr)
    sys.exit(SKIP)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(pred, seconds, what, step=0.05):
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # a page mid-render: try again
            last = e
        time.sleep(step)
    raise Failure(f"timed out after {seconds} s waiting for {what} (last: {last!r})")


# ---- a GNSS receiver on a pseudo-terminal ---------------------------------------------------

def nmea(body):
    cs = 0
    for c in body.encode():
        cs ^= c
    return f"${body}*{cs:02X}\r\n"


def coord(v, lat):
    a = abs(v)
    deg = int(a)
    minutes = (a - deg) * 60
    if lat:
        return f"{deg:02d}{minutes:07.4f},{'N' if v >= 0 else 'S'}"
    return f"{deg:03d}{minutes:07.4f},{'E' if v >= 0 else 'W'}"


class Receiver:
    """Writes one RMC+GGA fix per step at `rate` fixes per wall second; GNSS time advances one
    second per fix from START. `speed_kmh` may be changed while it runs (east and back)."""

    def __init__(self, rate):
        self.master, self.slave = pty.openpty()
        self.device = os.ttyname(self.slave)
        self.rate = rate
        self.speed_kmh = 0.0
        self.fixes = 0
        self.stop = False
        self.lat, self.lon = CENTRE
        self.heading = 1
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        t = START
        next_at = time.monotonic()
        while not self.stop:
            step_m = self.speed_kmh / 3.6
            dlon = step_m / (111320.0 * math.cos(math.radians(self.lat)))
            if abs(self.lon + self.heading * dlon - CENTRE[1]) > 0.003:
                self.heading = -self.heading
            self.lon += self.heading * dlon
            hhmmss = t.strftime("%H%M%S") + ".00"
            ddmmyy = t.strftime("%d%m%y")
            course = 90.0 if self.heading > 0 else 270.0
            text = nmea(f"GNRMC,{hhmmss},A,{coord(self.lat, True)},{coord(self.lon, False)},"
                        f"{self.speed_kmh / 1.852:.1f},{course:.1f},{ddmmyy},,,A")
            text += nmea(f"GNGGA,{hhmmss},{coord(self.lat, True)},{coord(self.lon, False)},1,12,0.8,"
                         "20.0,M,0.0,M,,")
            try:
                os.write(self.master, text.encode())
            except OSError:
                pass
            self.fixes += 1
            t += timedelta(seconds=1)
            next_at += 1.0 / self.rate
            time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self):
        self.thread.start()

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- processes -----------------------------------------------------------------------------

class Rig:
    """The simulator, a store, enrolled people and `tta-agent run`, in a fresh directory."""

    def __init__(self, args, name, classroom, https=False, admin=False):
        self.https = https
        self.admin = admin
        self.args = args
        self.dir = tempfile.mkdtemp(prefix=f"tta-screens-{name}-")
        self.classroom = classroom
        self.procs = []
        self.receiver = None
        os.makedirs(os.path.join(self.dir, "camera"))
        self.frame_no = 0

    def spawn(self, argv, log):
        f = open(os.path.join(self.dir, log), "w")
        p = subprocess.Popen(argv, stdout=subprocess.PIPE if log == "sim.log" else f,
                             stderr=f, text=True, cwd=self.dir)
        self.procs.append(p)
        return p

    def agent(self, *argv):
        r = subprocess.run([self.args.agent, *argv, "--config", self.config], cwd=self.dir,
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"tta-agent {' '.join(argv)}: exit {r.returncode}: {r.stderr[-2000:]}")
        return r.stdout

    def frames(self, subject, images, repeat=1):
        """Camera frames in the order the checks take them (5 per check; 15 with a challenge:
        each image `repeat` times, so a sequence keeps its order)."""
        src = os.path.join(self.args.shared_data, "faces", "att", subject)
        for i in images:
            for _ in range(repeat):
                shutil.copy(os.path.join(src, f"{i}.pgm"),
                            os.path.join(self.dir, "camera", f"{self.frame_no:03d}.pgm"))
                self.frame_no += 1

    def start(self, people):
        sim_args = [self.args.sim, "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                    os.path.join(self.dir, "platform")]
        if self.https:
            # Every HTTPS upload (teaching logs) refused: the administrator has something to retry.
            sim_args += ["--https-port", "0", "--http-refuse-every", "1"]
        sim = self.spawn(sim_args, "sim.log")
        line = sim.stdout.readline()
        m = re.search(r"tcp_port=(\d+) admin_port=(\d+)", line)
        check(m, f"simulator ports: {line!r}")
        tcp_port = m.group(1)
        http_section = 'base_url = ""\n'
        if self.https:
            h = re.search(r"https_port=(\d+) https_ca=(\S+)", line)
            check(h, f"simulator https: {line!r}")
            http_section = (f'base_url = "https://127.0.0.1:{h.group(1)}"\nca_bundle = "{h.group(2)}"\n'
                            'retry_min_ms = 100\nretry_max_ms = 1000\n')
        # SIMULATED engine speed (OBD sim://) so that minutes can count; polled often because
        # GNSS time runs faster than the wall clock here.
        vehicle = ('[vehicle]\nobd = "sim://"\npoll_interval_ms = 100\nmax_age_ms = 300\n'
                   if not self.classroom else "")
        admin_keys = ""
        if self.admin:
            key, cert = os.path.join(self.dir, "admin-key.pem"), os.path.join(self.dir, "admin-cert.pem")
            r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                               capture_output=True, text=True)
            check(r.returncode == 0, f"openssl req: {r.stderr}")
            os.chmod(key, 0o600)
            self.admin_port = free_port()
            admin_keys = (f'admin_listen = "127.0.0.1:{self.admin_port}"\nadmin_tls_cert = "{cert}"\n'
                          f'admin_tls_key = "{key}"\n')
        self.receiver = Receiver(rate=self.args.rate)
        self.receiver.start()
        self.port = free_port()
        self.config = os.path.join(self.dir, "agent.toml")
        mode = 'mode = "classroom"\n' if self.classroom else ""
        classroom = ('[classroom]\nlatitude = 32.0440\nlongitude = 118.7850\n'
                     'course_code = "2212110000"\nrecheck_min_interval_min = 10\n'
                     'recheck_max_interval_min = 30\n') if self.classroom else ""
        with open(self.config, "w") as f:
            f.write(f"""[terminal]
phone = "13800138000"
province_id = 32
city_id = 100
maker_id = "TTA01"
model = "TTA-TEST"
serial = "0000001"
imei = "860000000000001"
plate_colour = 2
plate = "A12345"
institution_code = "3201000000000001"
{mode}
[store]
database = "tta.db"
key_file = "store.key"
[gps]
source = "serial://{self.receiver.device}?baud=9600&reconnect_ms=100"
[[gps.fence]]
name = "test teaching area (simulated)"
points = [[32.0400, 118.7800], [32.0400, 118.7900], [32.0480, 118.7900], [32.0480, 118.7800]]
[face]
camera = "dir://camera"
models_dir = "{self.args.models}"
[uplink.tcp]
host = "127.0.0.1"
port = {tcp_port}
test_platform = true
reconnect_min_s = 1
[uplink.http]
{http_section}[training]
[agent]
simulated = true
control_listen = "127.0.0.1:{self.port}"
control_token_file = "control.token"
{admin_keys}{classroom}
{vehicle}
# A test syllabus small enough to complete in the test: part 2, two counted minutes.
[[syllabus]]
programme = "C1"
kind = "licence"
title = "机动车驾驶培训 C1（测试大纲）"
[[syllabus.part]]
part = 2
practical_min = 2
""")
        self.agent("init")
        if self.admin:
            r = subprocess.run([self.args.agent, "admin", "add", "--config", self.config, "--user", "ada"],
                               input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, f"tta-agent admin add: {r.stderr}")
        with open(os.path.join(self.dir, "control.token")) as f:
            self.token = f.read().strip()
        att = os.path.join(self.args.shared_data, "faces", "att")
        for role, number, idc, subject in people:
            self.agent("enroll", "--role", role, "--number", number, "--id-card", idc, "--name",
                       f"{role} {number[-3:]}", "--licence", "C1", "--photo",
                       os.path.join(att, subject, "1.pgm"))
        self.spawn([self.args.agent, "run", "--config", self.config], "agent.log")
        wait_for(lambda: self.status().get("uplink_online"), 60, "the agent online")

    def api(self, method, path, body=None, headers=None, token=True):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {self.token}"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def status(self):
        st, _, data = self.api("GET", "/status")
        return json.loads(data) if st == 200 else {}

    def report(self):
        """What a failure leaves to read: the agent's status and the logs' tails."""
        try:
            print("--- agent status:", json.dumps(self.status())[:3000], file=sys.stderr)
        except Exception:
            pass
        for log in ("agent.log", "sim.log"):
            p = os.path.join(self.dir, log)
            if os.path.exists(p):
                print(f"--- {log} (last 40 lines)", file=sys.stderr)
                print("".join(open(p, errors="replace").readlines()[-40:]), file=sys.stderr)

    def close(self, keep):
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.receiver:
            self.receiver.close()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---- the browser ---------------------------------------------------------------------------

def browser(width, height, tls_test_cert=False, downloads=None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
              f"--window-size={width},{height}", "--lang=zh-CN"]:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='tta-chromium-')}")
    if tls_test_cert:
        opts.add_argument("--ignore-certificate-errors")  # the test's throw-away certificate
    if downloads:
        opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                               "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_window_size(width, height)
    # The viewport, not the window, must be the terminal's size.
    inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [width, height]:
        d.set_window_size(width + (width - inner[0]), height + (height - inner[1]))
    return d


def resize(d, width, height):
    d.set_window_size(width, height)
    inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [width, height]:
        d.set_window_size(width + (width - inner[0]), height + (height - inner[1]))
    wait_for(lambda: d.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height],
             5, f"a {width}x{height} viewport")


OVERFLOW_JS = """
const w = window.innerWidth, h = window.innerHeight, bad = [];
const de = document.documentElement;
if (de.scrollWidth > w + 1) bad.push(`the page is ${de.scrollWidth}px wide`);
if (de.scrollHeight > h + 1) bad.push(`the page is ${de.scrollHeight}px high`);
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (getComputedStyle(e).visibility === 'hidden') continue;
  if (r.right > w + 1 || r.left < -1) bad.push(`${e.tagName}#${e.id}.${e.className} spans x ${r.left}..${r.right}`);
  if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible' && e.clientWidth > 0)
    bad.push(`${e.tagName}#${e.id}.${e.className} cuts its content (${e.scrollWidth} > ${e.clientWidth})`);
}
for (const b of document.querySelectorAll('footer button')) {
  const r = b.getBoundingClientRect();
  if (r.width === 0) continue;
  if (r.bottom > h + 1 || r.top < 0) bad.push(`button ${b.id} is not wholly on screen (${r.top}..${r.bottom})`);
}
return bad;
"""

WEIGHT_JS = """
const nav = performance.getEntriesByType('navigation')[0];
let total = nav ? nav.transferSize : 0;
const items = [];
for (const r of performance.getEntriesByType('resource')) {
  if (r.name.includes('/ui/api/events')) continue;
  total += r.transferSize;
  items.push([r.name.replace(location.origin, ''), r.transferSize]);
}
return {total, items};
"""


# For docs/: the enrolled photos (faces from ../shared/data, which must not enter the
# repository) are swapped for a drawn silhouette before the picture is taken.
SILHOUETTE = ("data:image/svg+xml;utf8," + urllib.parse.quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 72"><rect width="60" height="72" '
    'fill="#c9d1db"/><circle cx="30" cy="27" r="13" fill="#8a97a8"/><path d="M6 72c2-17 13-24 '
    '24-24s22 7 24 24z" fill="#8a97a8"/></svg>'))


def shot(d, out, name):
    path = os.path.join(out, f"{name}.png")
    d.save_screenshot(path)
    os.makedirs(os.path.join(out, "docs"), exist_ok=True)
    d.execute_script(
        "for (const i of document.querySelectorAll('img.photo, img.thumb, img.preview, img.capture-shot')) {"
        " i.dataset.real = i.src; i.src = arguments[0]; }", SILHOUETTE)
    d.save_screenshot(os.path.join(out, "docs", f"{name}.png"))
    d.execute_script(
        "for (const i of document.querySelectorAll('img.photo, img.thumb, img.preview, img.capture-shot')) {"
        " if (i.dataset.real) i.src = i.dataset.real; }")
    return path


def no_overflow(d, where):
    bad = d.execute_script(OVERFLOW_JS)
    check(not bad, f"{where}: overflow: {bad[:5]}")


def clear_outcome(d):
    """Blank the outcome line, so the next wait sees the next action's outcome, not the last."""
    d.execute_script("const o = document.getElementById('outcome'); o.hidden = true; o.textContent = '';")


def press_number(d, number):
    from selenium.webdriver.common.by import By
    wait_for(lambda: d.find_element(By.ID, "keypad").is_displayed(), 5, "the keypad")
    for digit in number:
        d.find_element(By.CSS_SELECTOR, f'#keypad button[data-key="{digit}"]').click()
    check(d.find_element(By.CSS_SELECTOR, "#keypad .keypad-value").text == number, "the keypad shows the number")
    d.find_element(By.CSS_SELECTOR, '#keypad button[data-key="ok"]').click()


def outcome_after(d, button_id, number=None, expect_ok=True):
    """Press a check button, enter the number, wait for the outcome line; returns its text."""
    from selenium.webdriver.common.by import By
    clear_outcome(d)
    before = ""
    d.find_element(By.ID, button_id).click()
    if number:
        press_number(d, number)
    text = wait_for(lambda: (lambda e: e.is_displayed() and e.text != before and e.text)(
        d.find_element(By.ID, "outcome")), 60, f"the outcome of {button_id}")
    cls = d.find_element(By.ID, "outcome").get_attribute("class")
    check(("ok" in cls.split()) == expect_ok, f"{button_id}: {text}")
    return text


def cookie_header(d):
    c = [f"{k['name']}={k['value']}" for k in d.get_cookies() if k["name"] == "tta_ui"]
    check(c, "the session cookie is set")
    return c[0]


def terminal(args, figures):
    from selenium.webdriver.common.by import By
    rig = Rig(args, "terminal", classroom=False, https=True, admin=True)
    ok = False
    d = None
    try:
        rig.frames("s1", [2, 3, 4, 5, 6])   # coach check-in
        rig.frames("s2", [2, 3, 4, 5, 6])   # student check-in
        rig.frames("s2", [7, 8, 9, 10, 1])  # student check-out
        rig.frames("s1", [7, 8, 9, 10, 1])  # coach check-out
        rig.start([("coach", COACH, "320106199003071234", "s1"),
                   ("student", STUDENTS[0], ID_CARDS[0], "s2")])
        base = f"http://127.0.0.1:{rig.port}"

        # Negative checks first, with no browser: no session, a wrong token.
        st, _, _ = rig.api("GET", "/ui/api/status", token=False)
        check(st == 401, f"/ui/api/status without a session: {st}")
        st, hdrs, _ = rig.api("GET", "/ui/terminal", token=False)
        check(st == 303 and hdrs.get("Location") == "/ui/login", f"/ui/terminal without a session: {st}")

        d = browser(1024, 600)
        d.get(f"{base}/ui/login?token=wrong-token")
        err = wait_for(lambda: d.find_element(By.ID, "login-error").text, 10, "the wrong-token message")
        check("令牌不对" in err, f"wrong token message: {err}")
        check(not d.get_cookies(), "no cookie after a wrong token")
        shot(d, args.out, "login-1024x600")

        d.get(f"{base}/ui/login?token={rig.token}")
        wait_for(lambda: d.current_url.endswith("/ui/terminal"), 10, "the terminal page")
        weight = wait_for(lambda: (lambda w: w if w["total"] > 0 and len(w["items"]) >= 4 else None)(
            d.execute_script(WEIGHT_JS)), 10, "the first load's resources")
        wait_for(lambda: "正常" in d.find_element(By.ID, "gnss").text, 20, "the GNSS chip saying 正常")
        wait_for(lambda: "在线" in d.find_element(By.ID, "link").text, 20, "the platform chip saying 在线")
        check(d.find_element(By.ID, "coach-in").is_displayed(), "the coach check-in button")
        check(not d.find_element(By.ID, "student-in").is_displayed(), "no student check-in before a coach")
        shot(d, args.out, "terminal-1024x600-idle")

        # CSRF: the session cookie alone does not make a change.
        cookie = cookie_header(d)
        st, _, data = rig.api("POST", "/ui/api/checkin", json.dumps({"role": "coach", "number": COACH}),
                              {"Cookie": cookie, "Content-Type": "application/json"}, token=False)
        check(st == 403, f"a check-in without the CSRF token: {st} {data[:200]!r}")

        text = outcome_after(d, "coach-in", COACH)
        check("成功" in text, f"coach check-in: {text}")
        wait_for(lambda: COACH in d.find_element(By.CSS_SELECTOR, "#coach .number").text, 5, "the coach on screen")
        text = outcome_after(d, "student-in", STUDENTS[0])
        check("成功" in text, f"student check-in: {text}")
        wait_for(lambda: STUDENTS[0] in d.find_element(By.CSS_SELECTOR, "#student .number").text, 5,
                 "the student on screen")
        wait_for(lambda: d.execute_script(
            "const i = document.querySelector('#student .photo'); return i.complete && i.naturalWidth > 0"),
            10, "the student's enrolled photo")

        # The live camera preview: the frames the checks grabbed, behind the session only.
        st, _, _ = rig.api("GET", "/ui/api/camera.jpg", token=False)
        check(st == 401, f"the camera preview without a session: {st}")
        st, hdrs, jpeg = rig.api("GET", "/ui/api/camera.jpg", headers={"Cookie": cookie}, token=False)
        check(st == 200 and hdrs.get("Content-Type") == "image/jpeg" and jpeg[:2] == b"\xff\xd8",
              f"the camera preview: {st} {hdrs.get('Content-Type')}")
        figures["camera_preview_bytes"] = len(jpeg)
        # The check overlay shows it (opened here by hand, to look at it without a check running).
        d.execute_script("document.getElementById('busy').hidden = false; window.__stopPreview = tta.startPreview();")
        wait_for(lambda: d.execute_script(
            "const i = document.getElementById('preview');"
            "return !i.hidden && i.complete && i.naturalWidth > 0 && Number(i.dataset.frames) > 0"),
            10, "the camera preview in the check overlay")
        no_overflow(d, "terminal 1024x600 preview")
        shot(d, args.out, "terminal-1024x600-preview")
        resize(d, 800, 480)
        no_overflow(d, "terminal 800x480 preview")
        resize(d, 1024, 600)
        d.execute_script("window.__stopPreview(); document.getElementById('busy').hidden = true;")

        # Drive: minutes tick on screen.
        rig.receiver.speed_kmh = 30.0
        wait_for(lambda: int(d.find_element(By.ID, "minutes").text.split("/")[1]) >= 2, 60,
                 "two minutes made on screen")
        check(d.find_element(By.ID, "timer").text not in ("", "--:--:--"), "the class timer runs")
        shot(d, args.out, "terminal-1024x600-training")

        # Stop: the agent's status says "stationary" when a still minute is followed by a still
        # start of the next; the screen must say so within 2 s of that.
        seen = {}

        def watch_api():
            end = time.monotonic() + 120
            while time.monotonic() < end and "api" not in seen:
                s = rig.status()
                if any(w.get("code") == "stationary" for w in s.get("live_warnings", [])):
                    seen["api"] = time.monotonic()
                time.sleep(0.02)

        rig.receiver.speed_kmh = 0.0
        watcher = threading.Thread(target=watch_api, daemon=True)
        watcher.start()
        wait_for(lambda: d.find_elements(By.CSS_SELECTOR, '.warning[data-code="stationary"]'), 120,
                 "the stationary warning on screen", step=0.02)
        seen["screen"] = time.monotonic()
        watcher.join(timeout=10)
        check("api" in seen, "the agent's status said stationary")
        latency = seen["screen"] - seen["api"]
        figures["stationary_warning_latency_s"] = round(latency, 3)
        check(latency < 2.0, f"the warning came {latency:.2f} s after the rule fired (limit 2 s)")
        warning = d.find_element(By.CSS_SELECTOR, '.warning[data-code="stationary"]').text
        check("车辆静止" in warning, f"the warning in words: {warning}")
        shot(d, args.out, "terminal-1024x600-warning")
        no_overflow(d, "terminal 1024x600")
        resize(d, 800, 480)
        no_overflow(d, "terminal 800x480")
        shot(d, args.out, "terminal-800x480-warning")
        # English, at the small size too.
        d.find_element(By.ID, "lang").click()
        wait_for(lambda: "Stationary" in d.find_element(By.CSS_SELECTOR, '.warning[data-code="stationary"]').text,
                 5, "the warning in English")
        check(d.find_element(By.ID, "screen-link").text == "Screen live", "every chip in English")
        no_overflow(d, "terminal 800x480 (English)")
        shot(d, args.out, "terminal-800x480-warning-en")
        d.find_element(By.ID, "lang").click()
        wait_for(lambda: "车辆静止" in d.find_element(By.CSS_SELECTOR, '.warning[data-code="stationary"]').text,
                 5, "the warning back in Chinese")
        resize(d, 1024, 600)

        # Move on: the warning goes.
        rig.receiver.speed_kmh = 30.0
        wait_for(lambda: not d.find_elements(By.CSS_SELECTOR, '.warning[data-code="stationary"]'), 60,
                 "the stationary warning gone")

        text = outcome_after(d, "student-out")
        check("成功" in text, f"student check-out: {text}")
        text = outcome_after(d, "coach-out")
        check("成功" in text, f"coach check-out: {text}")
        wait_for(lambda: d.find_element(By.ID, "coach-in").is_displayed(), 5, "ready for the next coach")
        resize(d, 800, 480)
        no_overflow(d, "terminal 800x480 idle")
        shot(d, args.out, "terminal-800x480-idle")

        # Logout, then the old cookie opens nothing.
        csrf = d.execute_script("return fetch('/ui/api/session').then(r => r.json()).then(j => j.csrf)")
        st, _, _ = rig.api("POST", "/ui/logout", "", {"Cookie": cookie, "X-CSRF-Token": csrf}, token=False)
        check(st == 303, f"logout: {st}")
        st, _, _ = rig.api("GET", "/ui/api/status", headers={"Cookie": cookie}, token=False)
        check(st == 401, f"the cookie replayed after logout: {st}")

        figures["terminal_first_load_bytes"] = weight["total"]
        figures["terminal_first_load_items"] = weight["items"]
        d.quit()
        d = None
        administrator(args, rig, figures)
        ok = True
    finally:
        if d:
            d.quit()
        if not ok:
            rig.report()
        rig.close(keep=not ok)


def https_call(port, method, path, body=None, headers=None):
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test's throw-away certificate
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=ctx)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def administrator(args, rig, figures):
    """The administrator's pages over TLS: a wrong password, login, people, progress bars, a
    refused upload sent again, the CSV download, CSRF and logout checks."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    base = f"https://127.0.0.1:{rig.admin_port}"
    st, hdrs, _ = https_call(rig.admin_port, "GET", "/admin/api/people")
    check(st == 401, f"/admin/api/people without a session: {st}")
    downloads = tempfile.mkdtemp(prefix="tta-downloads-")
    d = browser(1280, 800, tls_test_cert=True, downloads=downloads)
    try:
        d.get(f"{base}/admin/")
        wait_for(lambda: "/admin/login" in d.current_url, 10, "the login page")
        d.find_element(By.ID, "user").send_keys("ada")
        d.find_element(By.ID, "password").send_keys("not the password")
        d.find_element(By.CSS_SELECTOR, "#login-form button").click()
        err = wait_for(lambda: d.find_element(By.ID, "login-error").text, 10, "the wrong-password message")
        check("用户名或密码不对" in err, f"wrong password message: {err}")
        check(not d.get_cookies(), "no cookie after a wrong password")
        shot(d, args.out, "admin-login-1280x800")
        d.find_element(By.ID, "user").clear()
        d.find_element(By.ID, "user").send_keys("ada")
        d.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
        d.find_element(By.CSS_SELECTOR, "#login-form button").click()
        wait_for(lambda: d.current_url.endswith("/admin/"), 10, "the administrator's page")
        weight = wait_for(lambda: (lambda w: w if w["total"] > 0 and len(w["items"]) >= 4 else None)(
            d.execute_script(WEIGHT_JS)), 10, "the first load's resources")
        figures["admin_first_load_bytes"] = weight["total"]
        cookie = [c for c in d.get_cookies() if c["name"] == "tta_admin"]
        check(cookie and cookie[0].get("secure") and cookie[0].get("httpOnly"), f"the admin cookie: {cookie}")
        cookie = f"tta_admin={cookie[0]['value']}"
        rows = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(
            d.find_elements(By.CSS_SELECTOR, "#people tbody tr")), 10, "the people")
        numbers = sorted(r.get_attribute("data-number") for r in rows)
        check(numbers == sorted([COACH, STUDENTS[0]]), f"people: {numbers}")
        # Enrol a third person from an uploaded photo: a page with no face is refused in words.
        new_no, new_id = "3201000000000104", "110105194912310054"

        def enrol(photo):
            d.find_element(By.ID, "enrol-number").clear()
            d.find_element(By.ID, "enrol-number").send_keys(new_no)
            d.find_element(By.ID, "enrol-name").clear()
            d.find_element(By.ID, "enrol-name").send_keys("赵学员")
            d.find_element(By.ID, "enrol-id").clear()
            d.find_element(By.ID, "enrol-id").send_keys(new_id)
            d.find_element(By.ID, "enrol-photo").send_keys(photo)
            clear_outcome(d)
            d.find_element(By.CSS_SELECTOR, "#enrol button[type=submit]").click()
            return wait_for(lambda: (lambda o: o.is_displayed() and o.text)(d.find_element(By.ID, "outcome")), 60,
                            "the enrolment's outcome")
        blank = os.path.join(rig.dir, "blank.pgm")
        with open(blank, "wb") as f:
            f.write(b"P5\n64 64\n255\n" + bytes([128]) * 64 * 64)
        text = enrol(blank)
        check("没有成功" in text, f"a photo without a face: {text}")
        text = enrol(os.path.join(args.shared_data, "faces", "att", "s7", "1.pgm"))
        check(f"{new_no} 已登记" in text, f"enrolment from an upload: {text}")
        rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(
            d.find_elements(By.CSS_SELECTOR, "#people tbody tr")), 10, "three people")
        wait_for(lambda: d.execute_script(
            "const i = document.querySelector('#people tr[data-number=\"3201000000000104\"] img');"
            "return i && i.complete && i.naturalWidth > 0"), 10, "the new person's enrolled photo")
        # Enrol a fourth from a camera capture: the terminal's camera, shown, then the same gates.
        clear_outcome(d)
        d.find_element(By.ID, "enrol-capture").click()
        wait_for(lambda: d.execute_script(
            "const i = document.getElementById('enrol-shot');"
            "return !i.hidden && i.complete && i.naturalWidth > 0"), 30, "the camera capture shown")
        shot(d, args.out, "admin-capture-1280x800")
        cap_no, cap_id = STUDENTS[1], ID_CARDS[1]
        for field, value in (("enrol-number", cap_no), ("enrol-name", "钱学员"), ("enrol-id", cap_id)):
            d.find_element(By.ID, field).clear()
            d.find_element(By.ID, field).send_keys(value)
        clear_outcome(d)
        d.find_element(By.CSS_SELECTOR, "#enrol button[type=submit]").click()
        text = wait_for(lambda: (lambda o: o.is_displayed() and o.text)(d.find_element(By.ID, "outcome")), 60,
                        "the capture enrolment's outcome")
        check(f"{cap_no} 已登记" in text, f"enrolment from a camera capture: {text}")
        wait_for(lambda: len(d.find_elements(By.CSS_SELECTOR, "#people tbody tr")) == 4, 10, "four people")

        # Disable the coach: the row says so, a check-in is refused in words before any face
        # check; enabled again, the row says 正常.
        def person_row(no):
            return d.find_element(By.CSS_SELECTOR, f'#people tr[data-number="{no}"]')
        clear_outcome(d)
        wait_for(lambda: person_row(COACH).find_element(By.CSS_SELECTOR, "button.disable").click() or True,
                 10, "the disable button")
        wait_for(lambda: "已停用" in person_row(COACH).text and "ada" in person_row(COACH).text, 10,
                 "the coach shown disabled, by whom")
        st, _, body = rig.api("POST", "/checkin", json.dumps({"role": "coach", "number": COACH}),
                              {"Content-Type": "application/json"})
        refusal = json.loads(body or b"{}")
        check(st == 409 and refusal.get("reason") == "person_disabled" and "disabled" in refusal.get("error", ""),
              f"a disabled coach's check-in: {st} {refusal}")
        shot(d, args.out, "admin-people-disabled-1280x800")
        wait_for(lambda: person_row(COACH).find_element(By.CSS_SELECTOR, "button.enable").click() or True,
                 10, "the enable button")
        wait_for(lambda: "正常" in person_row(COACH).text, 10, "the coach enabled again")

        rows = d.find_elements(By.CSS_SELECTOR, "#people tbody tr")
        student = [r for r in rows if r.get_attribute("data-number") == STUDENTS[0]][0]
        student.find_element(By.CSS_SELECTOR, "button").click()
        bars = wait_for(lambda: (lambda b: b if len(b) == 1 else None)(
            d.find_elements(By.CSS_SELECTOR, "#progress .bar-row")), 10, "the syllabus part's bar")
        check("第2部分" in bars[0].text and "100%" in bars[0].text, f"part 2 bar: {bars[0].text}")
        shot(d, args.out, "admin-people-1280x800")

        # Sessions of the training day, with their minutes and flags.
        d.find_element(By.CSS_SELECTOR, '.tab[data-tab="sessions"]').click()
        day = START.strftime("%Y-%m-%d")
        for field in ("sessions-from", "sessions-to"):
            d.execute_script("document.getElementById(arguments[0]).value = arguments[1]", field, day)
        d.find_element(By.CSS_SELECTOR, "#sessions-form button").click()
        srows = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "#sessions tbody tr"), 10, "the session")
        check(STUDENTS[0] in srows[0].text, f"the session row: {srows[0].text}")
        shot(d, args.out, "admin-sessions-1280x800")
        # Each minute with what the terminal knows of its upload: the simulator acked them
        # (received); the platform sends no verdict, so none may be shown.

        def acked_minutes():
            d.find_element(By.CSS_SELECTOR, "#sessions tbody tr button.minutes").click()
            rows = d.find_elements(By.CSS_SELECTOR, "#minute-list tbody tr")
            states = [r.get_attribute("data-upload") for r in rows]
            return states if states and "acked" in states else None
        states = wait_for(acked_minutes, 30, "the session's minutes, received by the platform", step=1.0)
        check(set(states) <= {"acked", "queued", "in_flight", "refused", "unknown"}, f"upload states: {states}")
        first = d.find_element(By.CSS_SELECTOR, '#minute-list tr[data-upload="acked"]').text
        check("平台已收到" in first, f"an acked minute in words: {first}")
        figures["admin_minutes_shown"] = len(states)
        figures["admin_minutes_acked"] = states.count("acked")
        shot(d, args.out, "admin-minutes-1280x800")

        # The outbox: the teaching log the platform refused, sent again.
        d.find_element(By.CSS_SELECTOR, '.tab[data-tab="outbox"]').click()

        def refused_rows():
            d.find_element(By.CSS_SELECTOR, '.tab[data-tab="outbox"]').click()
            return d.find_elements(By.CSS_SELECTOR, "#refused tbody tr") or None
        rows = wait_for(refused_rows, 60, "a refused upload", step=1.0)
        # The list is redrawn when it loads: read it again by the entry's id, not the old row.
        entry = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "#refused tbody tr")[0].get_attribute("data-id"),
                         10, "a refused entry's id")
        row = f'#refused tr[data-id="{entry}"]'
        reason = wait_for(lambda: d.find_element(By.CSS_SELECTOR, f"{row} td.bad").text, 10, "the reason")
        check(reason.strip(), "the refusal's reason is shown")
        shot(d, args.out, "admin-outbox-1280x800")
        clear_outcome(d)
        wait_for(lambda: d.find_element(By.CSS_SELECTOR, f"{row} button").click() or True, 10, "the retry button")
        text = wait_for(lambda: (lambda o: o.is_displayed() and o.text)(d.find_element(By.ID, "outcome")), 10,
                        "the retry's outcome")
        check(f"第 {entry} 条已放回队列" in text, f"retry outcome: {text}")

        # CSV: the minutes of the training day, downloaded.
        d.find_element(By.CSS_SELECTOR, '.tab[data-tab="export"]').click()
        day = START.strftime("%Y-%m-%d")
        for field in ("export-from", "export-to"):
            d.execute_script("document.getElementById(arguments[0]).value = arguments[1]", field, day)
        Select(d.find_element(By.ID, "export-what")).select_by_value("minutes")
        shot(d, args.out, "admin-export-1280x800")
        d.find_element(By.CSS_SELECTOR, "#export-form button").click()
        path = os.path.join(downloads, "tta-minutes.csv")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 20, "the CSV download")
        lines = open(path, encoding="utf-8").read().splitlines()
        check(len(lines) >= 3, f"the CSV has a header and minutes: {lines[:3]}")
        check(STUDENTS[0] in "\n".join(lines), "the CSV names the student")
        figures["admin_csv_rows"] = len(lines) - 1

        # The final assessment: a pass issues the certificate; its page prints to an A4 PDF.
        d.find_element(By.CSS_SELECTOR, '.tab[data-tab="people"]').click()
        wait_for(lambda: d.find_element(By.CSS_SELECTOR, f'#people tr[data-number="{STUDENTS[0]}"] button.assess').click()
                 or True, 10, "the assessment button")
        d.find_element(By.ID, "assess-assessor").send_keys("张考官")
        clear_outcome(d)
        d.find_element(By.CSS_SELECTOR, "#assess button[type=submit]").click()
        text = wait_for(lambda: (lambda o: o.is_displayed() and "证书编号" in o.text and o.text)(
            d.find_element(By.ID, "outcome")), 20, "the certificate's number")
        number = text.split("证书编号")[1].strip()
        shot(d, args.out, "admin-assessment-1280x800")
        d.find_element(By.ID, "assess-cert").click()
        wait_for(lambda: d.execute_script("return document.body.dataset.ready === '1'"), 10, "the certificate page")
        check(d.find_element(By.ID, "c-number").text == number, "the certificate page shows its number")
        shot(d, args.out, "certificate-1280x800")
        import base64
        from selenium.webdriver.common.print_page_options import PrintOptions
        po = PrintOptions()
        po.page_width, po.page_height = 21.0, 29.7
        pdf = base64.b64decode(d.print_page(po))
        pdf_path = os.path.join(args.out, "certificate.pdf")
        with open(pdf_path, "wb") as f:
            f.write(pdf)
        check(pdf.startswith(b"%PDF-"), "a PDF")
        text = subprocess.run(["pdftotext", "-layout", pdf_path, "-"], capture_output=True, text=True).stdout
        check(number in text and "结业证书" in text and STUDENTS[0] in text,
              f"the PDF holds the certificate's number, title and student: {text[:400]!r}")
        pages = subprocess.run(["pdfinfo", pdf_path], capture_output=True, text=True).stdout
        check(re.search(r"Pages:\s+1\b", pages) and "595" in pages, f"one A4 page: {pages}")
        figures["certificate_pdf_bytes"] = len(pdf)

        # No change without the CSRF token; a cookie replayed after logout opens nothing.
        st, _, _ = https_call(rig.admin_port, "POST", "/admin/api/outbox/retry", json.dumps({"id": int(entry)}),
                              {"Cookie": cookie, "Content-Type": "application/json"})
        check(st == 403, f"a retry without the CSRF token: {st}")
        d.get(f"{base}/admin/")
        wait_for(lambda: d.find_element(By.ID, "logout").is_displayed(), 10, "the logout button")
        d.find_element(By.ID, "logout").click()
        wait_for(lambda: "/admin/login" in d.current_url, 10, "back at the login page")
        st, _, _ = https_call(rig.admin_port, "GET", "/admin/api/people", headers={"Cookie": cookie})
        check(st == 401, f"the admin cookie replayed after logout: {st}")
    finally:
        d.quit()
        shutil.rmtree(downloads, ignore_errors=True)


def kiosk(args, figures):
    from selenium.webdriver.common.by import By
    rig = Rig(args, "kiosk", classroom=True)
    ok = False
    d = None
    try:
        # A kiosk asks for a blink: 15 frames a check. The sequences are real photos in which
        # the eyes are seen open, closed, open (`tta-agent face-liveness --json`, "passed").
        rig.frames("s19", [3], repeat=15)  # the lecturer's first check, one still: no blink
        rig.frames("s19", [10, 2, 3, 4, 5], repeat=3)  # the lecturer's check-in
        subjects = ["s2", "s6", "s24"]
        for s, window in zip(subjects, ([2, 3, 4, 5, 6], [4, 5, 6, 7, 8], [5, 6, 7, 8, 9])):
            rig.frames(s, window, repeat=3)
        people = [("coach", COACH, "320106199003071234", "s19")]
        people += [("student", n, c, s) for n, c, s in zip(STUDENTS, ID_CARDS, subjects)]
        rig.start(people)
        rig.receiver.speed_kmh = 0.0
        d = browser(1920, 1080)
        d.get(f"http://127.0.0.1:{rig.port}/ui/login?token={rig.token}")
        wait_for(lambda: d.current_url.endswith("/ui/kiosk"), 10, "the kiosk page")
        weight = wait_for(lambda: (lambda w: w if w["total"] > 0 and len(w["items"]) >= 4 else None)(
            d.execute_script(WEIGHT_JS)), 10, "the first load's resources")
        wait_for(lambda: d.find_element(By.ID, "empty").is_displayed(), 10, "the empty roster")
        shot(d, args.out, "kiosk-1920x1080-empty")
        # First the lecturer holds still (one photo, 15 times): the overlay asks for a blink
        # while the check runs, and the refusal says none was seen.
        clear_outcome(d)
        d.find_element(By.ID, "lecturer-in").click()
        press_number(d, COACH)
        prompt = wait_for(lambda: (lambda e: e.is_displayed() and e.text)(
            d.find_element(By.ID, "challenge")), 10, "the blink prompt during the check")
        check("眨" in prompt, f"the challenge prompt: {prompt}")
        shot(d, args.out, "kiosk-1920x1080-challenge")
        text = wait_for(lambda: (lambda e: e.is_displayed() and e.text)(
            d.find_element(By.ID, "outcome")), 60, "the outcome of the check without a blink")
        check("bad" in d.find_element(By.ID, "outcome").get_attribute("class").split(),
              f"no blink, no check-in: {text}")
        check("眨眼" in text, f"the refusal says a blink was not seen: {text}")
        figures["kiosk_refusal_without_blink"] = text
        text = outcome_after(d, "lecturer-in", COACH)
        check("成功" in text, f"lecturer check-in: {text}")
        for n in STUDENTS:
            text = outcome_after(d, "student-in", n)
            check("成功" in text, f"student {n} check-in: {text}")
        rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(
            d.find_elements(By.CSS_SELECTOR, "#roster tbody tr")), 10, "three students on the roster")
        shown = sorted(r.get_attribute("data-student") for r in rows)
        check(shown == sorted(STUDENTS), f"the roster: {shown}")
        check("3" in d.find_element(By.ID, "count").text, "the count")
        wait_for(lambda: all(d.execute_script(
            "return [...document.querySelectorAll('#roster img')].every(i => i.complete && i.naturalWidth > 0)")
            for _ in [0]), 10, "the students' photos")
        no_overflow(d, "kiosk 1920x1080")
        shot(d, args.out, "kiosk-1920x1080-roster")
        figures["kiosk_first_load_bytes"] = weight["total"]
        ok = True
    finally:
        if d:
            d.quit()
        if not ok:
            rig.report()
        rig.close(keep=not ok)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agent", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--shared-data", required=True)
    ap.add_argument("--models", default="/usr/local/share/tta/models")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rate", type=float, default=10.0, help="GNSS fixes per wall second")
    ap.add_argument("--only", choices=["terminal", "kiosk"])
    args = ap.parse_args()
    for k in ("agent", "sim", "shared_data", "models", "out"):
        setattr(args, k, os.path.abspath(getattr(args, k)))

    need(shutil.which("chromium") and shutil.which("chromedriver"), "chromium and chromium-driver (scripts/setup)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        need(False, "python3-selenium (scripts/setup)")
    need(os.path.isdir(os.path.join(args.shared_data, "faces", "att")), "../shared/data/faces is absent")
    need(os.path.exists(os.path.join(args.models, "fr_detect.onnx")), "face models absent (scripts/setup)")
    need(shutil.which("pdftotext") and shutil.which("openssl"), "poppler-utils and openssl (scripts/setup)")
    os.makedirs(args.out, exist_ok=True)

    figures = {}
    try:
        if args.only in (None, "terminal"):
            terminal(args, figures)
        if args.only in (None, "kiosk"):
            kiosk(args, figures)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    with open(os.path.join(args.out, "screens.json"), "w") as f:
        json.dump(figures, f, indent=2)
    print(json.dumps({k: v for k, v in figures.items() if not k.endswith("_items")}))
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
