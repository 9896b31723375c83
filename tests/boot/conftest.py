"""Boot tests need build/esp.img: `make test` builds it first."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from qemu import BUILD  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def esp_image():
    if not (BUILD / "esp.img").exists():
        pytest.fail("build/esp.img is missing: run the tests with `make test`")
