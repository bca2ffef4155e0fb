"""The built-in areas, each registering its routers, navigation, commands and hooks through `bastion.plugins`.

An area module is what a third-party plugin would write: `@hookimpl` functions and nothing else. They import
their routers and commands inside the hooks, so the command line does not load the web stack to start.
"""
