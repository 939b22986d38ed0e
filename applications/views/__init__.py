"""The applications app's pages: parse the request, call one service or selector, render.

Views never import another app's models: they go through that app's selectors and services
(import contracts in pyproject.toml).
"""
