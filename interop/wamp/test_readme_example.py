"""The Autobahn|Python example in README.md runs as written against the built router."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no ```python block"
    return blocks[0]


def test_readme_example_runs_and_prints_results(router, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_example())
    env = dict(os.environ, WAMP_URL=router.url)
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"README example failed (exit {proc.returncode}):\n{output}"
    assert "B: add2(2, 3) = 5" in proc.stdout, output
    assert "C: got tick 42" in proc.stdout, output


SECURE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "secure-deployment.yaml"


def test_readme_secure_deployment_is_the_tested_config():
    """The README's "Secure deployment" example is interop/configs/secure-deployment.yaml, which
    test_auth_tls_origin.py starts and exercises (on ours and on Crossbar), so it stays correct."""
    text = README.read_text()
    section = re.search(r"^## Secure deployment\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert section, "README.md has no '## Secure deployment' section"
    blocks = re.findall(r"```yaml\n(.*?)```", section.group(1), flags=re.S)
    assert blocks, "the 'Secure deployment' section has no ```yaml block"
    assert blocks[0].strip() == SECURE_CONFIG.read_text().strip(), \
        "the README's secure deployment config differs from interop/configs/secure-deployment.yaml"
