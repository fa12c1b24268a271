"""The drills reuse the integration tests' PostgreSQL database and instructor token (tests/integration)."""

from tests.integration.conftest import pg_token, pg_url  # noqa: F401  (fixtures)
