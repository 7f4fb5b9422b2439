import pytest

from tests.interop.builders import small_world


@pytest.fixture
def world(site_a, site_b, coordinator_a, coordinator_b):
    """Three children on two sites with visits and forms entered through the services."""
    return small_world(site_a, site_b, coordinator_a, coordinator_b)
