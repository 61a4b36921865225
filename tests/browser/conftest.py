"""A JupyterLab server, a headless Debian chromium and one JupyterLab page, shared by the whole browser test module.

The browser is Debian's ``chromium`` (CI installs it with apt), driven by Python playwright; playwright's own
browser download is never used. Without chromium the tests skip with a one-line reason, except under CI
(``CI=true``), where a missing browser is a failure.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import ipykernel.kernelspec
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _need(condition, reason):
    if not condition:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run, and under CI=true it must: {reason}", pytrace=False)
        pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="module")
def chromium():
    executable = shutil.which("chromium")
    _need(executable, "no `chromium` on PATH (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "Python playwright is not installed (pip install -e '.[test]')")
    return executable, sync_playwright


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving an empty folder (``dir``) that tests copy notebooks into."""
    base = tmp_path_factory.mktemp("lab")
    served = base / "notebooks"
    served.mkdir()
    # Render every cell (no windowing), so that all outputs are in the page to be checked; no news pop-up.
    for plugin, values in (("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false"})):
        settings = base / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    # Its python3 kernels are forked, like nbval's, from this test process's warm server (tests/warm_kernel.py):
    # the same state as a fresh kernel, without a second or two of imports each. The root conftest.py has made
    # ipykernel's kernel spec the warm one; JUPYTER_PATH puts it ahead of the installed spec.
    spec = base / "data" / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps(ipykernel.kernelspec.get_kernel_dict()))
    token, port = uuid.uuid4().hex, _free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"), JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_PATH=os.pathsep.join(filter(None, [str(base / "data"), os.environ.get("JUPYTER_PATH")])),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={base}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: the page opens notebooks as the file browser does
    if os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to run as root otherwise (CI containers)
    log = open(base / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(base / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(1)
        yield {"url": url, "token": token, "dir": served}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(chromium, lab, tmp_path_factory):
    executable, sync_playwright = chromium
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def app(browser, lab):
    """One JupyterLab page for the module, loaded once (booting the app costs chromium 2–3 s of CPU a load); each test
    opens its notebook in it with ``open_notebook``, as a student opens one from the file browser."""
    page = browser.new_page()
    page.goto(f"{lab['url']}/lab?reset&token={lab['token']}", timeout=120_000)
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-LabShell')", timeout=120_000)
    page.evaluate("window.jupyterapp.started.then(() => window.jupyterapp.shell.collapseLeft())")  # room for the notebook
    yield page
    page.close()

