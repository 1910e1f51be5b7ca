import pytest

# The shared helpers assert too: show their failures as pytest shows a test's own.
pytest.register_assert_rewrite("tests.fixtures")
