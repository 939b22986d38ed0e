"""The review app's pages: parse the request, call one service or selector, render."""
