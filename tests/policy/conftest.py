"""The API tests' bearer-token client, for the policy's API checks."""

from tests.api.conftest import api_as  # noqa: F401
