"""Project settings. Only values that differ from the Kedro defaults are set here.
See https://docs.kedro.org/en/stable/configure/configuration_basics/#configuration
"""

# Keyword arguments to pass to the `CONFIG_LOADER_CLASS` constructor.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
