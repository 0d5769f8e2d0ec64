from tests.auth.conftest import auth_client, auth_settings, tokens  # noqa: F401
