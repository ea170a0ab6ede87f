#!/usr/bin/python3
# The desktop in a real browser (issue 13): the real `phantom run --display vnc=127.0.0.1:0` with the
# .test.ui_natives program of window_program.ph, headless Chromium (Debian's chromium, driven through
# chromedriver and python3-selenium) opening the noVNC page that the VNC port serves itself. The browser's
# screenshot must show the world's desktop (pixels compared with `phantom screenshot`), a click in the
# browser must reach the program, and dragging the Shapes window's title bar in the browser must move
# the window in the world.
#
# Usage: browser_test.py PHANTOM_BINARY CLASSES_DIR [PROGRAM.ph]
#   PROGRAM.ph defaults to window_program.ph beside this script; it is compiled into a temporary
#   directory, and CLASSES_DIR is searched after it (both when compiling and when running).
# Exit status: 0 passed, 1 failed, 77 skipped (only when Chromium cannot start at all on this machine).
# The temporary directory (world, screenshots, logs) is removed after a pass and kept after a failure.
# Every wait is for something observed (an output line, the page's state, pixels), with generous limits
# for a loaded machine; no fixed sleep stands in for synchronisation.
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

SKIP = 77
DEBIAN_PYTHON = "/usr/bin/python3"

# The screen of .test.ui_natives (1024x768, see tests/ui/golden/natives.png), in pixels from the
# top-left corner as on a screenshot.
SCREEN_W, SCREEN_H = 1024, 768
SHAPES_TITLE = (200, 347)  # the Shapes window's title bar
SHAPES_CLIENT_50_50 = (150, 617)  # (50, 50) in the Shapes window's client area
RED_BOX = (150, 637)  # inside the Shapes window's red box
DRAG_BY = (100, -100)  # the drag: 100 pixels right and up, as in window_world_test.cc
RED = (255, 0, 0)
# Points whose colours say "this is the ui_natives desktop": background, red box, orange ellipse,
# the Second window's client area, the task bar.
LANDMARKS = {
    "background": (50, 50),
    "red box": RED_BOX,
    "orange ellipse": (400, 617),
    "Second window": (650, 320),
    "task bar": (900, 745),
}

# The browser's viewport, set exactly (CDP) so that noVNC's centred canvas lies on whole pixels.
VIEW_W, VIEW_H = 1440, 1000

STARTUP_TIMEOUT = 120  # phantom booting, Chromium starting
CONNECT_TIMEOUT = 120  # noVNC loading, connecting and showing the desktop
EVENT_TIMEOUT = 60  # an input's effect on the world or in the browser


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def log(message):
    print(message, flush=True)


# ---- PNG (8-bit, non-interlaced grey, grey+alpha, RGB, RGBA), without PIL ----


class Image:
    def __init__(self, width, height, channels, rows):
        self.width, self.height, self.channels, self.rows = width, height, channels, rows

    def rgb(self, x, y):
        row, c = self.rows[y], self.channels
        if c in (1, 2):
            return (row[x * c],) * 3
        return tuple(row[x * c:x * c + 3])


def decode_png(data, what):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure(f"{what}: not a PNG file ({len(data)} bytes)")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise Failure(f"{what}: PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise Failure(f"{what}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 2:  # Up, the common one: fast
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind != 0:
            line = unfilter(kind, line, previous, channels, y, what)
        rows.append(line)
        previous = line
    return Image(width, height, channels, rows)


def unfilter(kind, line, previous, channels, y, what):
    """Undoes PNG filter 1 (Sub), 3 (Average) or 4 (Paeth) on one row, in place."""
    if kind not in (1, 3, 4):
        raise Failure(f"{what}: bad PNG filter {kind} in row {y}")
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            upper_left = previous[i - channels] if i >= channels else 0
            p = left + up - upper_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
            line[i] = (line[i] + predictor) & 0xFF
    return line


# ---- the world ----


class World:
    """`phantom run` in its own process group; its stdout and stderr collected by a thread."""

    def __init__(self, phantom, directory):
        self.phantom, self.dir = phantom, directory
        self.world = os.path.join(directory, "w.img")
        self.proc = None
        self.out = ""
        self.cond = threading.Condition()
        self.ended = False

    @staticmethod
    def _run(args, timeout):
        try:
            return subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Failure(f"{' '.join(args)}: {e}")

    def compile(self, program, classes):
        out = os.path.join(self.dir, "classes")
        os.makedirs(out, exist_ok=True)
        r = self._run([self.phantom, "compile", program, "-o", out, "-I", classes], STARTUP_TIMEOUT)
        if r.returncode != 0:
            raise Failure(f"phantom compile {program} failed ({r.returncode}):\n{r.stdout}")
        return out

    def start(self, boot, classpath):
        args = [self.phantom, "run", "--world", self.world, "--boot", boot, "--arena-size", "64M",
                "--display", "vnc=127.0.0.1:0", "--no-clock"]
        for c in classpath:
            args += ["--classpath", c]
        log("starting: " + " ".join(args))
        # stdin stays open (the TTY's getwc reads console input); a group of its own, killed as one.
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except OSError as e:
            raise Failure(f"cannot run {self.phantom}: {e}")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            with self.cond:
                if not chunk:
                    self.ended = True
                    self.cond.notify_all()
                    return
                self.out += chunk.decode("utf-8", "replace")
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """Waits for the regular expression in the output from `start`; returns the match."""
        limit = time.monotonic() + timeout
        with self.cond:
            while True:
                m = re.compile(pattern).search(self.out, start)
                if m:
                    return m
                left = limit - time.monotonic()
                if left <= 0 or self.ended:
                    why = "phantom exited" if self.ended else f"not within {timeout} s"
                    raise Failure(f"waited for /{pattern}/ in phantom's output: {why}; its output:\n{self.out}")
                self.cond.wait(left)

    def length(self):
        with self.cond:
            return len(self.out)

    def screenshot(self, name):
        path = os.path.join(self.dir, name)
        r = self._run([self.phantom, "screenshot", self.world, path], EVENT_TIMEOUT)
        if r.returncode != 0:
            raise Failure(f"phantom screenshot failed ({r.returncode}): {r.stdout}")
        with open(path, "rb") as f:
            image = decode_png(f.read(), path)
        if (image.width, image.height) != (SCREEN_W, SCREEN_H):
            raise Failure(f"phantom screenshot is {image.width}x{image.height}, not {SCREEN_W}x{SCREEN_H}")
        return image

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stdin.close()
        self.proc = None


# ---- the browser ----


def probe_chromium(chromium, directory):
    """Skips the test when Chromium cannot start at all here (not installed, or it fails to run)."""
    if chromium is None:
        raise Skip("no chromium on this machine (apt install chromium; scripts/install-deps.sh installs it)")
    args = [chromium, "--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=" + os.path.join(directory, "probe-profile"), "--dump-dom", "about:blank"]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    try:
        r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=STARTUP_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise Skip(f"chromium did not load about:blank within {STARTUP_TIMEOUT} s: {' '.join(args)}")
    except OSError as e:
        raise Skip(f"chromium cannot be run: {e}")
    if r.returncode != 0 or "<body" not in r.stdout:
        raise Skip(f"chromium cannot start here (exit {r.returncode}): {' '.join(args)}\n{r.stderr[-3000:]}")


def use_debian_python():
    """Another Python (pyenv, a venv) without Debian's python3-selenium: runs this script under Debian's."""
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.path.exists(DEBIAN_PYTHON):
            log(f"selenium not importable by {sys.executable}; rerunning under {DEBIAN_PYTHON}")
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


def import_selenium():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError as e:
        raise Failure(f"python3-selenium is missing ({e}): apt install python3-selenium chromium-driver "
                      "(scripts/install-deps.sh installs them)")


def start_browser(chromium, directory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromedriver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if chromedriver is None:
        raise Failure("chromedriver is missing: apt install chromium-driver (scripts/install-deps.sh installs it)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for a in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
              "--no-first-run", "--force-device-scale-factor=1", "--force-color-profile=srgb",
              f"--window-size={VIEW_W},{VIEW_H + 200}", "--user-data-dir=" + os.path.join(directory, "profile")]:
        options.add_argument(a)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, for failures
    service = Service(chromedriver, log_path=os.path.join(directory, "chromedriver.log"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as e:
        raise Failure(f"chromedriver could not start a Chromium session (Chromium itself starts: the probe "
                      f"passed): {e}\nsee {os.path.join(directory, 'chromedriver.log')}")
    driver.set_page_load_timeout(CONNECT_TIMEOUT)
    driver.set_script_timeout(CONNECT_TIMEOUT)
    # An exact viewport, device pixel ratio 1: the 1024x768 canvas is centred on whole pixels, 1:1.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": VIEW_W, "height": VIEW_H, "deviceScaleFactor": 1, "mobile": False})
    return driver


PAGE_STATE = """
const c = document.querySelector('#noVNC_container canvas');
const s = document.getElementById('noVNC_status');
const r = c ? c.getBoundingClientRect() : null;
return {connected: document.documentElement.classList.contains('noVNC_connected'),
        page: document.documentElement.className,
        status: s ? s.textContent : null,
        error: s ? s.classList.contains('noVNC_status_error') : false,
        canvas: c ? [c.width, c.height] : null,
        rect: r ? [r.left, r.top, r.width, r.height] : null,
        viewport: [window.innerWidth, window.innerHeight, window.devicePixelRatio]};
"""

# Records where the browser saw the mouse go down and up (capture phase, before noVNC sees them; only
# the browser's own events, not the copies noVNC's pointer capture dispatches again).
RECORD_MOUSE = """
window.__phantomMouse = [];
for (const kind of ['mousedown', 'mouseup'])
  window.addEventListener(kind, e => { if (e.isTrusted) window.__phantomMouse.push([e.type, e.clientX, e.clientY]); }, true);
"""


class Browser:
    def __init__(self, driver, directory):
        self.driver, self.dir = driver, directory
        self.origin = None  # the canvas's top-left corner in the viewport

    def state(self):
        return self.driver.execute_script(PAGE_STATE)

    def console_errors(self):
        """The page's console errors since the last call (failed loads, exceptions)."""
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def screenshot(self, name):
        data = self.driver.get_screenshot_as_png()
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)
        return decode_png(data, name)

    def canvas_rgb(self, image, x, y):
        return image.rgb(self.origin[0] + x, self.origin[1] + y)


# noVNC asks for Tight encoding at JPEG quality 6, and libvncserver then sends many-coloured areas (text,
# window edges) as JPEG: such pixels may be off by a few dozen levels. Flat areas come exactly.
JPEG_TOLERANCE = 48
LANDMARK_TOLERANCE = 8


def distance(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def compare(browser, shot, world_shot, step=8):
    """A grid over the screen: how many pixels are equal in the browser's canvas and the world's screen,
    and which are farther apart than JPEG explains."""
    equal, far, total = 0, [], 0
    for y in range(0, SCREEN_H, step):
        for x in range(0, SCREEN_W, step):
            want, got = world_shot.rgb(x, y), browser.canvas_rgb(shot, x, y)
            total += 1
            equal += want == got
            if distance(want, got) > JPEG_TOLERANCE:
                far.append((x, y, want, got))
    return equal, far, total


def wait_browser_shows(browser, world, name, timeout):
    """Waits until the browser's screenshot shows the world's current screen; returns the browser's
    screenshot, and how many sampled pixels were equal of how many."""
    limit = time.monotonic() + timeout
    while True:
        world_shot = world.screenshot("world-" + name)
        shot = browser.screenshot("browser-" + name)
        equal, far, total = compare(browser, shot, world_shot)
        # The landmarks (flat areas) match; at most 1% of the samples differ more than JPEG explains (a
        # cursor drawn into the canvas), and at least 90% are exactly equal.
        landmarks_ok = all(distance(browser.canvas_rgb(shot, *p), world_shot.rgb(*p)) <= LANDMARK_TOLERANCE
                           for p in LANDMARKS.values())
        if landmarks_ok and len(far) * 100 <= total and equal * 10 >= total * 9:
            return shot, equal, total
        if time.monotonic() > limit:
            lines = [f"  {k} {p}: world {world_shot.rgb(*p)}, browser {browser.canvas_rgb(shot, *p)}" for k, p in LANDMARKS.items()]
            lines += [f"  ({x},{y}): world {w}, browser {g}" for x, y, w, g in far[:10]]
            raise Failure(f"the browser does not show the world's screen ({name}) after {timeout} s: of {total} "
                          f"sampled pixels {equal} are equal, {len(far)} differ by more than {JPEG_TOLERANCE}; "
                          f"page state {browser.state()}\n" + "\n".join(lines) + f"\n(screenshots in {browser.dir})")


def run(phantom, classes, program, directory):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    t0 = time.monotonic()
    probe_chromium(chromium, directory)
    import_selenium()
    log(f"chromium starts ({time.monotonic() - t0:.1f} s)")

    world = World(phantom, directory)
    driver = None
    try:
        compiled = world.compile(program, classes)
        world.start(".test.ui_natives", [compiled, classes])
        port = int(world.wait_for(r"display: vnc on 127\.0\.0\.1:(\d+)", STARTUP_TIMEOUT).group(1))
        world.wait_for(r"drawn", STARTUP_TIMEOUT)
        log(f"world drawn, VNC on port {port} ({time.monotonic() - t0:.1f} s)")

        # The desktop is there in the world itself.
        first = world.screenshot("world-first.png")
        if first.rgb(*RED_BOX) != RED:
            raise Failure(f"the world's own screenshot has no red box at {RED_BOX}: {first.rgb(*RED_BOX)}")

        driver = start_browser(chromium, directory)
        browser = Browser(driver, directory)
        log(f"browser session up ({time.monotonic() - t0:.1f} s)")
        url = f"http://127.0.0.1:{port}/vnc.html?autoconnect=1&resize=off&view_clip=0&reconnect=0"
        driver.get(url)

        # Connected means: the whole canvas unscaled, centred on whole pixels of the viewport, and in the
        # same place twice in a row (the page's layout settles after the connection). A file of noVNC that
        # failed to load leaves the page loading for ever, and with reconnect=0 an error in the status line
        # is final: both fail at once, with the page's console errors.
        limit = time.monotonic() + CONNECT_TIMEOUT
        errors, last_rect = [], None
        while True:
            s = browser.state()
            errors += browser.console_errors()
            r = s["rect"]
            if s["connected"] and s["canvas"] == [SCREEN_W, SCREEN_H] and r and r[2:] == [SCREEN_W, SCREEN_H] and \
                    r == last_rect and r[0] == int(r[0]) and r[1] == int(r[1]):
                break
            last_rect = r
            # (Debian's noVNC has no package.json: its 404 is harmless.)
            failed_loads = [e for e in errors if "Failed to load resource: net::" in e]
            if failed_loads or s["error"] or time.monotonic() > limit:
                why = ("noVNC's files did not all load from the VNC port" if failed_loads else
                       "noVNC reports an error" if s["error"] else
                       f"not connected, with the {SCREEN_W}x{SCREEN_H} canvas unscaled on whole pixels, within {CONNECT_TIMEOUT} s")
                hint = ("\n(phantom's lines \"incomplete WebSocket handshake\" or \"not a valid RFB client: GET\" mean "
                        "that the VNC port took one of the browser's HTTP connections for a VNC viewer)" if failed_loads else "")
                raise Failure(f"noVNC at {url}: {why}; page state {s}\nthe page's console errors:\n  "
                              + "\n  ".join(errors or ["(none)"]) + f"\nphantom's output:\n{world.out}{hint}")
            time.sleep(0.2)
        left, top = s["rect"][0], s["rect"][1]
        if left < 0 or top < 0 or left + SCREEN_W > VIEW_W or top + SCREEN_H > VIEW_H:
            raise Failure(f"noVNC's canvas is not inside the viewport: {s}")
        browser.origin = (int(left), int(top))
        log(f"noVNC connected: {s['status']!r}, canvas at {browser.origin} ({time.monotonic() - t0:.1f} s)")

        # The browser's screenshot shows the desktop: the world's screen (exactly, but for JPEG's losses).
        _, equal, total = wait_browser_shows(browser, world, "desktop.png", CONNECT_TIMEOUT)
        log(f"the browser shows the desktop: {equal} of {total} sampled pixels equal ({time.monotonic() - t0:.1f} s)")

        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        canvas = driver.find_element(By.CSS_SELECTOR, "#noVNC_container canvas")
        driver.execute_script(RECORD_MOUSE)

        # Offsets from the canvas's centre (Selenium 4's move_to_element_with_offset).
        def at(point):
            return point[0] - SCREEN_W // 2, point[1] - SCREEN_H // 2

        def recorded():
            return driver.execute_script("return window.__phantomMouse.splice(0);")

        def expect_recorded(what, want):
            got = recorded()
            if got != want:
                raise Failure(f"{what}: the browser saw the mouse at {got}, not {want} (canvas at {browser.origin})")

        def viewport(p):
            return [browser.origin[0] + p[0], browser.origin[1] + p[1]]

        # A click in the Shapes window reaches the program (at its client position (50, 50)).
        mark = world.length()
        ActionChains(driver).move_to_element_with_offset(canvas, *at(SHAPES_CLIENT_50_50)).click().perform()
        expect_recorded("the click", [["mousedown"] + viewport(SHAPES_CLIENT_50_50), ["mouseup"] + viewport(SHAPES_CLIENT_50_50)])
        world.wait_for(r"mouse 50 50 buttons 1 pressed 1 released 0\n", EVENT_TIMEOUT, mark)
        world.wait_for(r"mouse 50 50 buttons 0 pressed 0 released 1\n", EVENT_TIMEOUT, mark)
        log(f"a click in the browser reached the program ({time.monotonic() - t0:.1f} s)")

        # Drag the Shapes title bar 100 pixels right and up, in steps as a hand would.
        end = (SHAPES_TITLE[0] + DRAG_BY[0], SHAPES_TITLE[1] + DRAG_BY[1])
        chain = ActionChains(driver).move_to_element_with_offset(canvas, *at(SHAPES_TITLE)).click_and_hold()
        for i in range(1, 6):
            p = (SHAPES_TITLE[0] + DRAG_BY[0] * i // 5, SHAPES_TITLE[1] + DRAG_BY[1] * i // 5)
            chain = chain.move_to_element_with_offset(canvas, *at(p)).pause(0.05)
        chain.release().perform()
        expect_recorded("the drag", [["mousedown"] + viewport(SHAPES_TITLE), ["mouseup"] + viewport(end)])

        # The world's screen shows the window moved: its red box followed the drag.
        moved_box = (RED_BOX[0] + DRAG_BY[0], RED_BOX[1] + DRAG_BY[1])
        limit = time.monotonic() + EVENT_TIMEOUT
        while True:
            shot = world.screenshot("world-dragged.png")
            if shot.rgb(*moved_box) == RED and shot.rgb(*RED_BOX) != RED:
                break
            if time.monotonic() > limit:
                raise Failure(f"the drag in the browser did not move the Shapes window within {EVENT_TIMEOUT} s: "
                              f"{moved_box} is {shot.rgb(*moved_box)} (want red), {RED_BOX} is {shot.rgb(*RED_BOX)} "
                              f"(want not red); screenshot {os.path.join(directory, 'world-dragged.png')}\n"
                              f"phantom's output:\n{world.out}")
            time.sleep(0.2)
        log(f"the drag moved the window in the world ({time.monotonic() - t0:.1f} s)")

        # And the browser shows the moved window too.
        shot, equal, total = wait_browser_shows(browser, world, "dragged.png", EVENT_TIMEOUT)
        if distance(browser.canvas_rgb(shot, *moved_box), RED) > LANDMARK_TOLERANCE:
            raise Failure(f"the browser does not show the moved window: {moved_box} is {browser.canvas_rgb(shot, *moved_box)}")
        log(f"the browser shows the moved window: {equal} of {total} sampled pixels equal "
            f"({time.monotonic() - t0:.1f} s)")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as e:
                log(f"quitting the browser: {e}")
        world.stop()


def main():
    if len(sys.argv) not in (3, 4):
        print(f"usage: {sys.argv[0]} PHANTOM_BINARY CLASSES_DIR [PROGRAM.ph]", file=sys.stderr)
        return 2
    phantom, classes = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    program = os.path.abspath(sys.argv[3]) if len(sys.argv) == 4 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "window_program.ph")
    use_debian_python()
    # SIGTERM and Ctrl-C still stop phantom and the browser (the finally blocks); CTest's timeout kills
    # the whole process tree itself.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("browser_test: terminated"))
    directory = tempfile.mkdtemp(prefix="phantom_browser_")
    started = time.monotonic()
    try:
        run(phantom, classes, program, directory)
    except Skip as e:
        log(f"SKIP: {e}")
        shutil.rmtree(directory, ignore_errors=True)
        return SKIP
    except Failure as e:
        log(f"FAIL: {e}")
        log(f"kept {directory} for inspection")
        return 1
    except BaseException as e:
        log(f"FAIL: {type(e).__name__}: {e}")
        log(f"kept {directory} for inspection")
        if isinstance(e, KeyboardInterrupt):
            return 130
        raise
    log(f"PASS ({time.monotonic() - started:.1f} s)")
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
