"""The scale-out tests start their own servers; see test_two_processes.py."""


def pytest_configure(config):
    # Registered here: pyproject.toml runs pytest with --strict-markers.
    config.addinivalue_line(
        "markers",
        "scaleout: two `tribune serve` processes sharing one PostgreSQL and one "
        "Redis (needs DATABASE_URL=postgres://… and REDIS_URL)",
    )
