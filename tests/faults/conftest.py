"""Fixtures of the fault tests: the collected static files they all share."""

import subprocess

import pytest

from tests.faults.servers import TRIBUNE, tribune_env


def pytest_configure(config):
    # Registered here: pyproject.toml runs pytest with --strict-markers.
    config.addinivalue_line(
        "markers",
        "faults: kills a server of the test's own (PostgreSQL, Redis) under a "
        "running `tribune serve` and checks how the site copes",
    )


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic's output, once: DEBUG off links to hashed static names."""
    root = tmp_path_factory.mktemp("faults-static")
    env = tribune_env(str(root / "unused.sqlite3"), root)
    done = subprocess.run(  # noqa: S603 (our own command line)
        [*TRIBUNE, "collectstatic", "--noinput", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        pytest.fail(f"collectstatic failed:\n{done.stdout}\n{done.stderr}")
    return root
