"""The compliance app's pages: parse the request, call one service or selector, render.

Empty until the app's first page. It exists now so that the import contracts in
pyproject.toml (`[tool.importlinter]`) have a module to check: views never import another
app's models; they go through that app's selectors and services.
"""
